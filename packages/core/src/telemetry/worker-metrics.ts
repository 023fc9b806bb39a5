/**
 * Self-metrics across the pipeline processes of `service.workers`: each worker sends its registry
 * as JSON over IPC, and the primary serves the sum on the usual `/metrics` endpoint, as otelcol's
 * single process would (prom-client's AggregatorRegistry: counters and gauges summed, process
 * metrics by their own aggregator). Accepted records are also kept per worker, labelled
 * `worker`, so the spread of connections across workers can be read.
 */
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

const PER_WORKER: Readonly<Record<string, string>> = {
  otelcol_receiver_accepted_log_records_total: 'sluice_worker_accepted_log_records_total',
};

/** The content type of what aggregateWorkerMetrics returns. */
export const WORKER_METRICS_CONTENT_TYPE: string = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;

/**
 * The Prometheus exposition of the workers' metrics, summed. Keyed by worker index, not by order of
 * answer: a worker that did not answer (restarting, slow) must not shift the others' `worker` labels.
 */
export function aggregateWorkerMetrics(snapshots: ReadonlyMap<number, MetricsSnapshot>): Promise<string> {
  const perWorker = [...snapshots].map(([worker, metrics]) =>
    metrics.flatMap((metric) => {
      const name = PER_WORKER[metric.name];
      if (name === undefined) return [];
      const values = metric.values.map((value) => ({ ...value, labels: { ...value.labels, worker } }));
      return [{ ...metric, name, help: `${metric.help} Per pipeline process (service.workers).`, values }];
    }),
  );
  return AggregatorRegistry.aggregate([...snapshots.values(), ...perWorker]).metrics();
}
