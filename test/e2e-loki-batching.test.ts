/**
 * The Loki exporter batches behind its sending queue by default (about 1 MiB or 1 s, as Loki's own
 * clients do): many small requests leave as few pushes, each within `max_request_bytes`, and
 * `sending_queue.batch.min_size: 0` turns that off (one push per request).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LogsData } from '@sluice/pdata';
import { startTestCollector, waitFor } from './support/collector';
import { startLokiTestServer, type AcceptedPush, type LokiTestServer } from './support/loki/server';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

type TestCollector = Awaited<ReturnType<typeof startTestCollector>>;

const LOKI_DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

function logs(bodies: string[]): LogsData {
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'batching' },
    scopeName: 'batching',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

/** Sends `requests` from 8 clients at once, each request acknowledged (200) before that client sends its next. */
async function sendConcurrently(collector: TestCollector['collector'], requests: LogsData[]): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < requests.length) {
      const index = next++;
      const res = await postOtlpHttp(collector.endpoints['otlp/http']!, requests[index]!);
      assert.equal(res.status, 200, `request ${index}: ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
}

describe('Loki exporter batching behind the sending queue', function () {
  this.timeout(60_000);
  let server: LokiTestServer;
  let running: TestCollector | undefined;
  let pushes: AcceptedPush[];
  beforeEach(async () => {
    pushes = [];
    server = await startLokiTestServer({ onPush: (push) => pushes.push(push) });
  });
  afterEach(async () => {
    await running?.collector.shutdown();
    running = undefined;
    await server.close();
  });

  function start(loki: Record<string, unknown>): Promise<TestCollector> {
    return startTestCollector(
      otlpPipelineConfig(
        { loki: { endpoint: server.pushUrl, tenant_id: 'team-a', format: 'raw', ...loki } },
        { service: { shutdown_timeout: '5s' } },
      ),
    );
  }

  it('by default, 200 one-record requests leave as at least 50x fewer pushes, each within max_request_bytes', async () => {
    running = await start({});
    const requests = Array.from({ length: 200 }, (_, i) => logs([`one record ${i}`]));
    await sendConcurrently(running.collector, requests);
    await waitFor(() => (server.acceptedEntries >= 200 ? true : undefined), 10_000, '200 entries in Loki');

    assert.equal(server.acceptedEntries, 200);
    assert.equal(new Set(server.entries().map((e) => e.line)).size, 200, 'every record once');
    assert.ok(pushes.length <= 200 / 50, `${pushes.length} pushes for 200 requests`);
    assert.ok(
      server.requestLog.every((r) => r.status === 204),
      'Loki took every push',
    );
    const largest = Math.max(...pushes.map((p) => p.wireBytes));
    assert.ok(largest <= LOKI_DEFAULT_MAX_REQUEST_BYTES, `largest push ${largest} bytes`);
  });

  it('with sending_queue.batch.min_size 0, sends one push per request', async () => {
    running = await start({ sending_queue: { batch: { min_size: 0 } } });
    const requests = Array.from({ length: 200 }, (_, i) => logs([`one record ${i}`]));
    await sendConcurrently(running.collector, requests);
    await waitFor(() => (server.acceptedEntries >= 200 ? true : undefined), 10_000, '200 entries in Loki');

    assert.equal(server.acceptedEntries, 200);
    assert.equal(pushes.length, 200);
    assert.ok(
      pushes.every((p) => p.entries === 1),
      'each push holds one request',
    );
  });

  it('splits a batch above max_request_bytes into pushes that each fit', async () => {
    const maxRequestBytes = 64 * 1024;
    running = await start({ max_request_bytes: maxRequestBytes });
    // Random base64 lines: snappy barely shrinks them, so the wire size is close to the encoded size the split bounds.
    const requests = Array.from({ length: 40 }, (_, i) =>
      logs(Array.from({ length: 10 }, (_, j) => `${i}-${j} ${randomBytes(750).toString('base64')}`)),
    );
    await sendConcurrently(running.collector, requests);
    await waitFor(() => (server.acceptedEntries >= 400 ? true : undefined), 10_000, '400 entries in Loki');

    assert.equal(server.acceptedEntries, 400);
    const lineBytes = pushes.reduce((sum, p) => sum + p.entryBytes, 0);
    assert.ok(
      pushes.length >= Math.ceil(lineBytes / maxRequestBytes),
      `${pushes.length} pushes for ${lineBytes} line bytes under a ${maxRequestBytes}-byte cap`,
    );
    assert.ok(pushes.length < requests.length, `batched across requests: ${pushes.length} pushes for ${requests.length} requests`);
    const largest = Math.max(...pushes.map((p) => p.wireBytes));
    assert.ok(largest <= maxRequestBytes, `largest push ${largest} bytes, max_request_bytes ${maxRequestBytes}`);
  });
});
