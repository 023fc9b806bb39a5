import { z } from 'zod';
import { section, type ConnectorFactory } from '@sluice/core';
import { compileValue } from '../filter/ottl/compile';
import { compileConditions, ottl, attributeSchema, type MetricDefinition, type MetricKind } from './metric-definition';
import { LogsToMetricsConnector } from './logs-to-metrics-connector';

/** otelcol-contrib's default histogram buckets for signaltometrics. */
const DEFAULT_BUCKETS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000];

const metricSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    unit: z.string().default(''),
    include_resource_attributes: z.array(attributeSchema).default([]),
    attributes: z.array(attributeSchema).default([]),
    conditions: z.array(ottl('condition')).default([]),
    sum: z
      .object({ value: ottl('value') })
      .strict()
      .optional(),
    gauge: z
      .object({ value: ottl('value') })
      .strict()
      .optional(),
    histogram: z
      .object({
        buckets: z
          .array(z.number())
          .default(DEFAULT_BUCKETS)
          .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), { message: 'buckets must be strictly increasing' }),
        count: ottl('value').optional(),
        value: ottl('value'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((m) => [m.sum, m.gauge, m.histogram].filter((x) => x !== undefined).length === 1, {
    message: 'a metric needs exactly one of sum, gauge or histogram',
  });

/** otelcol-contrib's signaltometrics connector, for logs: a list of metrics with OTTL values. */
export const signalToMetricsConfigSchema = section({
  logs: z.array(metricSchema).min(1, { message: 'at least one logs metric is required' }),
});

export type SignalToMetricsConfig = z.infer<typeof signalToMetricsConfigSchema>;

const LOGS_ONLY = 'Sluice derives metrics from logs only, so this section has nothing to read';

export const signalToMetricsConnectorFactory: ConnectorFactory<SignalToMetricsConfig> = {
  kind: 'connector',
  type: 'signaltometrics',
  description: 'Derives sums, gauges and histograms from log records with OTTL values, for a metrics pipeline.',
  configSchema: signalToMetricsConfigSchema,
  capabilities: { mutatesData: false },
  unsupportedKeys: {
    ...Object.fromEntries(['spans', 'datapoints', 'profiles'].map((key) => [key, { effect: 'ignore', why: LOGS_ONLY }])),
    'logs.*.exponential_histogram': {
      effect: 'error',
      why: 'exponential histograms are not implemented; ignoring one would drop the metric (use histogram with buckets)',
    },
    error_mode: { effect: 'ignore', why: 'a record whose value is not a number adds nothing to the metric' },
  },
  create: (_settings, config, next) => new LogsToMetricsConnector(config.logs.map(definition), { resourceFallback: false }, next),
};

function definition(metric: SignalToMetricsConfig['logs'][number]): MetricDefinition {
  let kind: MetricKind;
  if (metric.histogram) {
    const { buckets, count, value } = metric.histogram;
    kind = { type: 'histogram', bounds: buckets, value: compileValue(value), ...(count ? { count: compileValue(count) } : {}) };
  } else if (metric.sum) {
    kind = { type: 'sum', value: compileValue(metric.sum.value) };
  } else {
    kind = { type: 'gauge', value: compileValue(metric.gauge!.value) };
  }
  return {
    name: metric.name,
    description: metric.description,
    unit: metric.unit,
    conditions: compileConditions(metric.conditions),
    attributes: metric.attributes,
    includeResourceAttributes: metric.include_resource_attributes,
    kind,
  };
}
