import type { MetricsConsumer } from '../component';
import { asConsumeError } from '@sluice/pdata';
import type { MetricsData } from '../metrics/model';

/**
 * Hands the same metrics to every consumer (exporters of a metrics pipeline, or the metrics
 * pipelines a connector feeds) and resolves once all have accepted them. Metrics are read-only
 * downstream, so they are shared, never copied.
 */
export class MetricsFanout implements MetricsConsumer {
  constructor(private readonly consumers: readonly MetricsConsumer[]) {}

  async consumeMetrics(metrics: MetricsData): Promise<void> {
    if (this.consumers.length === 1) return this.consumers[0]!.consumeMetrics(metrics);
    const results = await Promise.allSettled(this.consumers.map((c) => c.consumeMetrics(metrics)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw asConsumeError(failed.reason);
  }
}
