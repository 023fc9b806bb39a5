import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { aggregateWorkerMetrics, type MetricsSnapshot } from '../src/telemetry/worker-metrics';

async function acceptedSnapshot(count: number): Promise<MetricsSnapshot> {
  const registry = new Registry();
  const accepted = new Counter({
    name: 'otelcol_receiver_accepted_log_records_total',
    help: 'Accepted.',
    labelNames: ['receiver'],
    registers: [registry],
  });
  accepted.inc({ receiver: 'otlp' }, count);
  return await registry.getMetricsAsJSON();
}

describe('worker metrics', () => {
  it('labels each worker by its index, not by the order the answers came in or who answered', async () => {
    // Worker 0 is restarting and did not answer; worker 2 answered before worker 1.
    const snapshots = new Map([
      [2, await acceptedSnapshot(7)],
      [1, await acceptedSnapshot(5)],
    ]);
    const text = await aggregateWorkerMetrics(snapshots);
    assert.match(text, /^otelcol_receiver_accepted_log_records_total\{receiver="otlp"\} 12$/m);
    assert.match(text, /^sluice_worker_accepted_log_records_total\{receiver="otlp",worker="1"\} 5$/m);
    assert.match(text, /^sluice_worker_accepted_log_records_total\{receiver="otlp",worker="2"\} 7$/m);
    assert.doesNotMatch(text, /worker="0"/);
  });
});
