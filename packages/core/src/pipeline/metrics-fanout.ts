import type { MetricsConsumer } from '../component';
import type { MetricsData } from '../metrics/model';
import { settleAll } from './fanout';

/**
 * Hands the same metrics to every consumer (exporters of a metrics pipeline, or the metrics
 * pipelines a connector feeds) and resolves once all have accepted them. Metrics are read-only
 * downstream, so they are shared, never copied.
 */
export class MetricsFanout implements MetricsConsumer {
  constructor(private readonly consumers: readonly MetricsConsumer[]) {}

  consumeMetrics(metrics: MetricsData): Promise<void> {
    if (this.consumers.length === 1) return this.consumers[0]!.consumeMetrics(metrics);
    return settleAll(this.consumers.map((c) => c.consumeMetrics(metrics)));
  }
}
