/**
 * The metrics signal, only as much as connectors deriving metrics from logs and a Prometheus
 * exporter need: sums, gauges and explicit-bucket histograms whose points carry string
 * attributes. Connectors emit delta points (what one `consume` call saw, as otelcol's
 * signaltometrics does); an exporter that serves cumulative values accumulates them.
 */

/** Attribute values as labels need them: strings, in the order the metric's config lists them. */
export type MetricAttributes = Readonly<Record<string, string>>;

export interface NumberPoint {
  attributes: MetricAttributes;
  value: number;
}

export interface HistogramPoint {
  attributes: MetricAttributes;
  count: number;
  sum: number;
  /** One count per bucket: `bounds.length + 1` entries, the last for values above every bound. */
  bucketCounts: number[];
}

export type MetricData =
  | { type: 'sum'; monotonic: boolean; points: NumberPoint[] }
  | { type: 'gauge'; points: NumberPoint[] }
  | { type: 'histogram'; bounds: readonly number[]; points: HistogramPoint[] };

export interface Metric {
  name: string;
  description: string;
  unit: string;
  data: MetricData;
}

export interface ResourceMetrics {
  /** The resource attributes of the logs the metrics were derived from. */
  resource: MetricAttributes;
  metrics: Metric[];
}

export interface MetricsData {
  resourceMetrics: ResourceMetrics[];
}
