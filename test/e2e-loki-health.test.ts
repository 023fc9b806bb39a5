/**
 * What an operator sees when Loki refuses data or asks the collector to slow down: `/health/loki`
 * and `/metrics` of a collector configured from YAML, against the Loki test server.
 *
 * Covered elsewhere, not repeated here: the exporter drops a 400 after one attempt
 * (`loki-exporter.test.ts`, "drops a batch Loki refuses with 400 after one attempt"), retries 429
 * and 500 ("retries 429 and 500 until Loki takes the batch"), the client reads Retry-After in
 * seconds and as an HTTP date ("Loki client status handling"), and the retry loop waits what the
 * server asked on an injected clock (`packages/core/test/exporterhelper-retry.test.ts`).
 */
import assert from 'node:assert/strict';
import { DEFAULT_QUEUE_BYTES, type ExporterHealth } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { metricValue, startTestCollector, waitFor } from './support/collector';
import { startLokiTestServer, type LokiTestServer } from './support/loki/server';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

/** One `billing` record stamped `timeMs`. */
function logs(body: string, timeMs: number): LogsData {
  return logsWithBodies([body], {
    resource: { 'service.name': 'billing' },
    scopeName: 'billing',
    firstTimeUnixNano: BigInt(timeMs) * 1_000_000n,
  });
}

function config(pushUrl: string, retry: Record<string, unknown>, sendingQueue: Record<string, unknown> = {}): string {
  return otlpPipelineConfig(
    { loki: { endpoint: pushUrl, tenant_id: 'team-a', format: 'raw', retry_on_failure: retry, sending_queue: sendingQueue } },
    { extensions: { health_check: { endpoint: '127.0.0.1:0' } }, service: { shutdown_timeout: '2s' }, prometheus: true },
  );
}

describe('Loki exporter: /health/loki and /metrics', function () {
  this.timeout(30_000);
  let server: LokiTestServer;
  let collector: Awaited<ReturnType<typeof startTestCollector>>['collector'] | undefined;
  afterEach(async () => {
    await collector?.shutdown();
    collector = undefined;
    await server.close();
  });

  async function post(data: LogsData): Promise<void> {
    const res = await postOtlpHttp(collector!.endpoints['otlp/http']!, data);
    assert.equal(res.status, 200, 'the receiver accepted the request');
  }

  /** The exporter's health; the HTTP status is 503 exactly while its sends are failing. */
  async function health(): Promise<ExporterHealth & { exporter: string }> {
    const res = await fetch(`http://${collector!.endpoints.health_check}/health/loki`);
    const body = (await res.json()) as ExporterHealth & { exporter: string };
    assert.equal(res.status, body.status === 'failing' ? 503 : 200, `HTTP status for ${body.status}`);
    return body;
  }

  it("reports a refused entry with Loki's reason, then the sends that follow, and the queue gauges", async () => {
    // Loki's own rule, not a canned failure: an entry an hour behind its stream's newest is refused.
    server = await startLokiTestServer({ outOfOrderWindowMs: 3_600_000 });
    ({ collector } = await startTestCollector(config(server.pushUrl, { initial_interval: '10ms', max_interval: '50ms' })));
    const now = Date.now();

    await post(logs('first', now));
    await waitFor(() => (server.entries().length === 1 ? true : undefined), 10_000, 'the first entry in Loki');
    const before = await health();
    assert.equal(before.last_error, null);
    assert.equal(before.last_error_time, null);

    await post(logs('two hours late', now - 2 * 3_600_000));
    const refused = await waitFor(
      async () => {
        const h = await health();
        return h.entries_dropped === 1 ? h : undefined;
      },
      10_000,
      'the late entry to be dropped',
    );
    assert.match(refused.last_error ?? '', /400: .*entry too far behind/);
    const errorTime = Date.parse(refused.last_error_time ?? '');
    assert.ok(
      errorTime >= now - 1000 && errorTime <= Date.now() + 1000,
      `last_error_time ${refused.last_error_time} is the time of the refusal`,
    );
    assert.deepEqual(
      server.requestLog.map((r) => r.status),
      [204, 400],
      'the 400 was attempted once, never retried',
    );
    assert.equal(refused.status, 'ok', "a record Loki refuses is the data's fault: the exporter stays healthy (HTTP 200)");

    await post(logs('second', Date.now()));
    const after = await waitFor(
      async () => {
        const h = await health();
        return h.entries_sent === 2 ? h : undefined;
      },
      10_000,
      'the second entry to be sent',
    );
    assert.equal(after.exporter, 'loki');
    assert.equal(after.status, 'ok', 'healthy again once a send succeeds');
    assert.equal(after.batches_sent, 2);
    assert.equal(after.entries_dropped, 1);
    assert.equal(after.entries_failed, 0);
    assert.equal(after.queue_length, 0);
    assert.match(after.last_error ?? '', /entry too far behind/, 'the last error stays visible after recovery');
    assert.deepEqual(
      server.entries().map((e) => e.line),
      ['first', 'second'],
    );

    const metrics = await (await fetch(`http://${collector.endpoints.metrics}/metrics`)).text();
    const loki = { exporter: 'loki', data_type: 'logs' };
    assert.equal(metricValue(metrics, 'otelcol_exporter_queue_size', loki), 0);
    assert.equal(
      metricValue(metrics, 'otelcol_exporter_queue_capacity', loki),
      DEFAULT_QUEUE_BYTES,
      'queue_size default: 16 MiB, sizer bytes',
    );
    assert.equal(metricValue(metrics, 'sluice_exporter_dropped_log_records_total', { exporter: 'loki', reason: 'permanent_error' }), 1);
    assert.equal(metricValue(metrics, 'otelcol_exporter_sent_log_records_total', { exporter: 'loki' }), 2);
    assert.equal(
      metricValue(metrics, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'loki' }),
      1,
      'otelcol counts a drop as send_failed too',
    );
  });

  it('shows a waiting batch in the queue gauge while Loki is down', async () => {
    server = await startLokiTestServer();
    ({ collector } = await startTestCollector(
      // min_size 0: a batch per request, so requests wait in the queue, not in a consumer's batch.
      config(server.pushUrl, { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: 0 }, { batch: { min_size: 0 } }),
    ));
    await server.fail('down');
    await post(logs('waits', Date.now()));
    const waiting = await waitFor(
      async () => {
        const h = await health();
        return h.status === 'failing' ? h : undefined;
      },
      10_000,
      'health to report failing sends',
    );
    assert.equal(waiting.queue_length, 0, 'the batch a consumer is retrying has left the queue');
    assert.match(waiting.last_error ?? '', /ECONNREFUSED/);
    await post(logs('queued', Date.now()));
    // Ten consumers: the second batch is taken by another one and retried too, so fill beyond them.
    for (let i = 0; i < 10; i++) await post(logs(`more ${i}`, Date.now()));
    const metrics = await (await fetch(`http://${collector.endpoints.metrics}/metrics`)).text();
    const queued = metricValue(metrics, 'otelcol_exporter_queue_size', { exporter: 'loki', data_type: 'logs' });
    assert.ok(queued !== undefined && queued >= 2, `12 batches with 10 consumers leave at least 2 in the queue (gauge: ${queued})`);
    assert.equal((await health()).queue_length, queued);

    await server.recover();
    await waitFor(() => (server.entries().length === 12 ? true : undefined), 10_000, 'all 12 entries after Loki is back');
    await waitFor(async () => ((await health()).queue_length === 0 ? true : undefined), 10_000, 'an empty queue');
  });

  it('waits what Retry-After asks (1 s) before retrying a 429, not its own short backoff', async () => {
    server = await startLokiTestServer();
    const { collector: started, logger } = await startTestCollector(
      config(server.pushUrl, { initial_interval: '10ms', max_interval: '20ms', randomization_factor: 0 }),
    );
    collector = started;
    await server.fail('429', { times: 1, retryAfter: 1 });
    await post(logs('after a pause', Date.now()));

    // Arrival times of the two attempts, polled finely; polling can only shorten the gap it sees.
    const firstSeen = await waitFor(() => (server.requests >= 1 ? Date.now() : undefined), 10_000, 'the 429 attempt');
    const secondSeen = await waitFor(() => (server.requests >= 2 ? Date.now() : undefined), 10_000, 'the retry');
    assert.deepEqual(
      server.requestLog.map((r) => r.status),
      [429, 204],
    );
    assert.ok(secondSeen - firstSeen >= 800, `the retry came ${secondSeen - firstSeen} ms after the 429 (Retry-After: 1)`);
    const retryLine = logger.lines.find((l) => l.message === 'send failed; will retry');
    assert.equal(retryLine?.fields.retry_in_ms, 1000, "the wait was the server's, not the 10 ms backoff");
    assert.equal(server.entries()[0]?.line, 'after a pause');
  });
});
