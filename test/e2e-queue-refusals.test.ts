/**
 * Every refusal is visible: with Loki down, a full sending queue (memory) or a spent disk budget
 * (file_storage `max_size_mib`) refuses requests with a retryable status, `/health/loki` counts
 * the refused records in `entries_refused`, and the log says so once rather than per request (the
 * persistent queue also names its directory and the free space). Once Loki is back, every
 * acknowledged record arrives.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ExporterHealth } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { startTestCollector, tempDir, waitFor } from './support/collector';
import { startLokiTestServer, type LokiTestServer } from './support/loki/server';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

type TestCollector = Awaited<ReturnType<typeof startTestCollector>>;

const REFUSING = 'refusing log records: the sender is told to retry';
const BUDGET_SPENT = 'the persistent queue refuses data: its disk budget (max_size_mib) is spent';

/** `records` records of about `bodyBytes` each, request `index`'s own. */
function request(index: number, records: number, bodyBytes: number): LogsData {
  const bodies = Array.from({ length: records }, (_, i) => `request ${index} record ${i} `.padEnd(bodyBytes, 'x'));
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'refusals' },
    scopeName: 'refusals',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

function config(server: LokiTestServer, sendingQueue: Record<string, unknown>, extensions: Record<string, unknown> = {}): string {
  return otlpPipelineConfig(
    {
      loki: {
        endpoint: server.pushUrl,
        tenant_id: 'team-a',
        format: 'raw',
        sending_queue: sendingQueue,
        retry_on_failure: { initial_interval: '20ms', max_interval: '100ms', max_elapsed_time: 0 },
      },
    },
    { extensions: { health_check: { endpoint: '127.0.0.1:0' }, ...extensions }, service: { shutdown_timeout: '5s' } },
  );
}

async function lokiHealth(collector: TestCollector['collector']): Promise<ExporterHealth> {
  const res = await fetch(`http://${collector.endpoints.health_check}/health/loki`);
  return (await res.json()) as ExporterHealth;
}

interface Sent {
  acceptedRecords: number;
  refusedRecords: number;
  refusedRequests: number;
  /** From the first refusal to the last, for the warning's rate limit. */
  refusalSpanMs: number;
}

/** Posts requests one after another until `enough` says stop; a refusal must be retryable (429/503 with Retry-After). */
async function sendUntil(
  collector: TestCollector['collector'],
  next: (index: number) => LogsData,
  records: number,
  enough: (sent: Sent, index: number) => boolean,
): Promise<Sent> {
  const sent: Sent = { acceptedRecords: 0, refusedRecords: 0, refusedRequests: 0, refusalSpanMs: 0 };
  let firstRefusal: number | undefined;
  for (let index = 0; !enough(sent, index); index++) {
    const res = await postOtlpHttp(collector.endpoints['otlp/http']!, next(index));
    if (res.status === 200) {
      sent.acceptedRecords += records;
      continue;
    }
    assert.ok(res.status === 429 || res.status === 503, `request ${index}: a retryable refusal, not ${res.status}`);
    assert.ok(res.headers.get('retry-after'), `request ${index}: the refusal says when to retry`);
    firstRefusal ??= Date.now();
    sent.refusalSpanMs = Date.now() - firstRefusal;
    sent.refusedRecords += records;
    sent.refusedRequests++;
  }
  return sent;
}

/**
 * How many refusal warnings the log may hold: one per rate-limit window (10 s per exporter and
 * kind) that the refusals spanned, i.e. exactly one unless the machine stalled for 10 s.
 */
function allowedWarnings(spanMs: number): number {
  return Math.floor(spanMs / 10_000) + 1;
}

describe('refusals are visible in /health/loki and in the log', function () {
  this.timeout(60_000);
  let server: LokiTestServer;
  let running: TestCollector | undefined;
  afterEach(async () => {
    await running?.collector.shutdown();
    running = undefined;
    await server.close();
  });

  it('a full memory queue: 16 requests of 1,000 records with Loki down', async () => {
    server = await startLokiTestServer();
    await server.fail('down');
    // One consumer: its batch (Loki's default, 1 MiB) holds at most 5 of these ~230 KB requests,
    // the queue one more, so at least 10 of the 16 are refused.
    running = await startTestCollector(config(server, { queue_size: 1000, sizer: 'items', num_consumers: 1 }));
    const { collector, logger } = running;

    const sent = await sendUntil(
      collector,
      (i) => request(i, 1000, 200),
      1000,
      (_, index) => index === 16,
    );
    assert.ok(sent.refusedRequests >= 10, `${sent.refusedRequests} of 16 requests refused`);

    const health = await lokiHealth(collector);
    assert.equal(health.entries_refused, sent.refusedRecords, 'entries_refused counts every refused record');
    assert.equal(health.entries_dropped, 0, 'refused is not dropped: the sender was told to retry');

    const warnings = logger.lines.filter((line) => line.message === REFUSING);
    assert.ok(
      warnings.length >= 1 && warnings.length <= allowedWarnings(sent.refusalSpanMs),
      `${warnings.length} warnings for ${sent.refusedRequests} refusals in ${sent.refusalSpanMs} ms: rate-limited, not one per request`,
    );
    assert.equal(warnings[0]!.level, 'warn');
    assert.equal(warnings[0]!.fields.code, 'SLUICE_QUEUE_FULL');
    assert.match(String(warnings[0]!.fields.reason), /sending queue .* is full \(queue_size 1000 items\)/);

    await server.recover();
    await waitFor(() => (server.acceptedEntries >= sent.acceptedRecords ? true : undefined), 30_000, 'every accepted record in Loki');
    assert.equal(server.acceptedEntries, sent.acceptedRecords, 'what was accepted arrives; what was refused never was');
  });

  it('a spent disk budget: file_storage max_size_mib 1 with Loki down', async () => {
    const tmp = await tempDir();
    try {
      server = await startLokiTestServer();
      await server.fail('down');
      const queueDir = join(tmp.dir, 'queue');
      running = await startTestCollector(
        config(server, { storage: 'file_storage' }, { file_storage: { directory: queueDir, max_size_mib: 1 } }),
      );
      const { collector, logger } = running;

      // ~100 KB requests: about ten fit in the 1 MiB budget; stop after three refusals.
      const sent = await sendUntil(
        collector,
        (i) => request(i, 200, 500),
        200,
        (s, index) => {
          assert.ok(index < 100, 'the budget refused nothing after 100 requests');
          return s.refusedRequests === 3;
        },
      );
      assert.ok(sent.acceptedRecords > 0, 'requests were accepted until the budget was spent');

      const health = await lokiHealth(collector);
      assert.equal(health.entries_refused, sent.refusedRecords, 'entries_refused counts every refused record');
      assert.equal(health.entries_dropped, 0);

      const refusing = logger.lines.filter((line) => line.message === REFUSING);
      assert.ok(refusing.length >= 1 && refusing.length <= allowedWarnings(sent.refusalSpanMs), `${refusing.length} refusal warnings`);
      assert.match(String(refusing[0]!.fields.reason), /max_size_mib/);
      // The journal's own line is written once it has asked the file system for the free space.
      const budget = await waitFor(() => logger.lines.find((line) => line.message === BUDGET_SPENT), 10_000, 'the disk budget warning');
      assert.equal(budget.level, 'warn');
      assert.ok(String(budget.fields.path).startsWith(queueDir), `names the queue directory: ${String(budget.fields.path)}`);
      assert.ok(
        typeof budget.fields.free_bytes === 'number' && budget.fields.free_bytes > 0,
        `free space: ${String(budget.fields.free_bytes)}`,
      );
      assert.equal(logger.lines.filter((line) => line.message === BUDGET_SPENT).length, 1, 'one disk warning for the burst');

      await server.recover();
      await waitFor(() => (server.acceptedEntries >= sent.acceptedRecords ? true : undefined), 30_000, 'every accepted record in Loki');
      assert.equal(server.acceptedEntries, sent.acceptedRecords);
      // Sent batches leave the disk, so the budget takes new data again.
      await waitFor(
        async () => ((await postOtlpHttp(collector.endpoints['otlp/http']!, request(1000, 200, 500))).status === 200 ? true : undefined),
        10_000,
        'the budget to accept data again after the backlog was sent',
      );
    } finally {
      await running?.collector.shutdown();
      running = undefined;
      await tmp.cleanup();
    }
  });
});
