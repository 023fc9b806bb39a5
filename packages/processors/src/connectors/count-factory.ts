import { z } from 'zod';
import { section, type ConnectorFactory } from '@sluice/core';
import { compileConditions, ottl, attributeSchema, type MetricDefinition } from './metric-definition';
import { LogsToMetricsConnector } from './logs-to-metrics-connector';

const metricSchema = section({
  description: z.string().default(''),
  conditions: z.array(ottl('condition')).default([]),
  attributes: z.array(attributeSchema).default([]),
});

/** otelcol-contrib's count connector, for logs: `logs: { <metric name>: { description, conditions, attributes } }`. */
export const countConfigSchema = section({
  logs: z.preprocess((value) => value ?? {}, z.record(metricSchema)),
});

export type CountConfig = z.infer<typeof countConfigSchema>;

const DEFAULT_METRIC = 'log.record.count';
const ONE = () => 1n;
const LOGS_ONLY = 'Sluice derives metrics from logs only, so this section has nothing to count';

export const countConnectorFactory: ConnectorFactory<CountConfig> = {
  kind: 'connector',
  type: 'count',
  description: 'Counts log records (per OTTL conditions and attributes) into metrics for a metrics pipeline.',
  configSchema: countConfigSchema,
  capabilities: { mutatesData: false },
  unsupportedKeys: Object.fromEntries(
    ['spans', 'spanevents', 'metrics', 'datapoints', 'profiles'].map((key) => [key, { effect: 'ignore', why: LOGS_ONLY }]),
  ),
  create: (_settings, config, next) => new LogsToMetricsConnector(countDefinitions(config), { resourceFallback: true }, next),
};

/** Without custom `logs` metrics, count every record as `log.record.count`, as otelcol does. */
function countDefinitions(config: CountConfig): MetricDefinition[] {
  const entries = Object.entries(config.logs);
  if (entries.length === 0) {
    return [
      {
        name: DEFAULT_METRIC,
        description: 'The number of log records observed.',
        unit: '',
        conditions: [],
        attributes: [],
        kind: { type: 'sum', value: ONE },
      },
    ];
  }
  return entries.map(([name, metric]) => ({
    name,
    description: metric.description,
    unit: '',
    conditions: compileConditions(metric.conditions),
    attributes: metric.attributes,
    kind: { type: 'sum', value: ONE },
  }));
}
