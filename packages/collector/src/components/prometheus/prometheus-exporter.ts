import { z } from 'zod';
import {
  endpoint,
  parseHostPort,
  section,
  type CreateSettings,
  type MetricsData,
  type MetricsExporter,
  type MetricsExporterFactory,
} from '@sluice/core';
import { startMetricsServer } from '../../metrics-server';
import { CumulativeStore } from './cumulative-store';

/** otelcol-contrib's prometheus exporter (a pull endpoint), plus Sluice's per-metric series limit. */
export const prometheusExporterConfigSchema = section({
  endpoint: endpoint('127.0.0.1:8889'),
  namespace: z.string().default(''),
  const_labels: z.record(z.string()).default({}),
  resource_to_telemetry_conversion: section({ enabled: z.boolean().default(false) }),
  add_metric_suffixes: z.boolean().default(true),
  /** Sluice-only: series one metric may hold; points that would add more are dropped and counted. */
  max_series_per_metric: z.number().int().min(1).default(2000),
});

export type PrometheusExporterConfig = z.infer<typeof prometheusExporterConfigSchema>;

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

class PrometheusExporter implements MetricsExporter {
  private readonly store: CumulativeStore;
  private server: { close(): Promise<void> } | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: PrometheusExporterConfig,
  ) {
    const dropped = settings.telemetry.counter(
      'sluice_prometheus_exporter_dropped_points_total',
      'Metric points the prometheus exporter dropped: the metric reached max_series_per_metric, or changed type.',
      ['exporter', 'metric', 'reason'],
    );
    this.store = new CumulativeStore({
      namespace: config.namespace,
      addSuffixes: config.add_metric_suffixes,
      constLabels: config.const_labels,
      resourceToLabels: config.resource_to_telemetry_conversion.enabled,
      maxSeriesPerMetric: config.max_series_per_metric,
      onDropped: (metric, reason) => dropped.inc({ exporter: settings.id, metric, reason }),
    });
  }

  async start(): Promise<void> {
    const { host, port } = parseHostPort(this.config.endpoint)!;
    const source = { contentType: CONTENT_TYPE, scrape: () => Promise.resolve(this.store.exposition()) };
    const server = await startMetricsServer(source, host, port, `exporters.${this.settings.id}.endpoint`);
    this.server = server;
    this.settings.onListening?.(this.settings.id, server.address);
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  consumeMetrics(metrics: MetricsData): Promise<void> {
    this.store.add(metrics);
    return Promise.resolve();
  }
}

export const prometheusExporterFactory: MetricsExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  signal: 'metrics',
  description: 'Serves the metrics of a metrics pipeline at /metrics for Prometheus to scrape.',
  configSchema: prometheusExporterConfigSchema,
  unsupportedKeys: {
    tls: { effect: 'error', why: 'the endpoint would serve plain HTTP where TLS was asked for' },
    metric_expiration: { effect: 'ignore', why: 'series are kept until the collector stops; max_series_per_metric bounds them' },
    send_timestamps: { effect: 'ignore', why: 'samples are served without timestamps (Prometheus stamps them at scrape)' },
    enable_open_metrics: { effect: 'ignore', why: 'the Prometheus text format is served' },
    translation_strategy: { effect: 'error', why: 'names are always translated with suffixes as add_metric_suffixes says' },
  },
  create: (settings, config) => new PrometheusExporter(settings, config),
};
