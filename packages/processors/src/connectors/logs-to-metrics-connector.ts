import type { Connector, MetricsConsumer } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { deriveMetrics, type DeriveOptions } from './derive-metrics';
import type { MetricDefinition } from './metric-definition';

/**
 * Derives metrics from each batch of logs it is handed and passes them on; the logs themselves
 * are only read. A batch no metric matches costs the scan and nothing more.
 */
export class LogsToMetricsConnector implements Connector {
  constructor(
    private readonly definitions: readonly MetricDefinition[],
    private readonly options: DeriveOptions,
    private readonly next: MetricsConsumer,
  ) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  consume(logs: LogsData): Promise<void> {
    const metrics = deriveMetrics(logs, this.definitions, this.options);
    if (metrics.resourceMetrics.length === 0) return Promise.resolve();
    return this.next.consumeMetrics(metrics);
  }
}
