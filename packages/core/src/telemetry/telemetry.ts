import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsSnapshot } from './worker-metrics';

/**
 * The collector's Prometheus registry. Components ask for metrics by name; asking twice for the
 * same name returns the same metric, so two instances of a component type share one family and
 * differ by label (`exporter="loki"`, `exporter="loki/eu"`).
 */
export class Telemetry {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, Counter | Gauge | Histogram>();
  /** The series of each gauge read on scrape (`observeGauge`). */
  private readonly observed = new Map<string, Array<{ labels: Record<string, string>; read: () => number }>>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'otelcol_' });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return this.getOrCreate(name, () => new Counter({ name, help, labelNames, registers: [this.registry] })) as Counter<L>;
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return this.getOrCreate(name, () => new Gauge({ name, help, labelNames, registers: [this.registry] })) as Gauge<L>;
  }

  /**
   * Adds a series to a gauge whose values are read when it is scraped. For values that change on
   * every request, such as a queue's size: setting a labelled gauge hashes its labels each time,
   * and nobody reads the value between scrapes.
   */
  observeGauge<L extends string>(name: string, help: string, labels: Record<L, string>, read: () => number): void {
    let series = this.observed.get(name);
    if (!series) {
      const list: Array<{ labels: Record<string, string>; read: () => number }> = [];
      this.getOrCreate(
        name,
        () =>
          new Gauge({
            name,
            help,
            labelNames: Object.keys(labels),
            registers: [this.registry],
            collect(this: Gauge) {
              for (const { labels, read } of list) this.set(labels, read());
            },
          }),
      );
      this.observed.set(name, (series = list));
    }
    series.push({ labels, read });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets?: number[]): Histogram<L> {
    return this.getOrCreate(
      name,
      () => new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) }),
    ) as Histogram<L>;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** Every metric as data, for the primary of `service.workers` to sum (aggregateWorkerMetrics). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  private getOrCreate(name: string, make: () => Counter | Gauge | Histogram): Counter | Gauge | Histogram {
    let metric = this.metrics.get(name);
    if (!metric) {
      metric = make();
      this.metrics.set(name, metric);
    }
    return metric;
  }
}
