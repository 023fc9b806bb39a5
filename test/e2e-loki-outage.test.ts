/**
 * Issue 3's outage test at its own scale: 20,000 records sent at a steady rate through
 * OTLP/HTTP → Loki exporter → Loki test server, with Loki really down (connection refused) for
 * ~10 s in the middle. The outage is counted in requests, not seconds, so a busy machine that
 * sends more slowly stretches it instead of shrinking what it covers. The queue (30,000 items) holds the backlog; every record arrives, and
 * exactly once, because a refused connection is a send that certainly did not happen — only an
 * attempt cut by its timeout may be stored and resent, and there are none here.
 */
import assert from 'node:assert/strict';
import type { LogsData } from '@sluice/pdata';
import { startTestCollector, waitFor } from './support/collector';
import { startLokiTestServer } from './support/loki/server';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

const REQUESTS = 200;
const RECORDS_PER_REQUEST = 100;
const TOTAL = REQUESTS * RECORDS_PER_REQUEST;
const INTERVAL_MS = 70; // 200 requests over ~14 s
const DOWN_AT_REQUEST = 30; // ~2 s in
const DOWN_FOR_REQUESTS = 140; // ~10 s

/** Request `index`'s records: `record <n>` for its share of 0 .. TOTAL-1. */
function request(index: number): LogsData {
  const bodies = Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => `record ${index * RECORDS_PER_REQUEST + i}`);
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'outage' },
    scopeName: 'steady',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

describe('Loki outage: ~10 s down while 20,000 records flow', function () {
  this.timeout(60_000);

  it('delivers every record exactly once after Loki comes back', async () => {
    const server = await startLokiTestServer();
    const { collector } = await startTestCollector(
      otlpPipelineConfig(
        {
          loki: {
            endpoint: server.pushUrl,
            tenant_id: 'team-a',
            format: 'raw',
            // Generous, so no attempt is cut by its timeout on a loaded machine: that is the one case
            // where Loki may have stored a batch the exporter then resends.
            timeout: '20s',
            sending_queue: { sizer: 'items', queue_size: 30000 },
            retry_on_failure: { initial_interval: '20ms', max_interval: '200ms', max_elapsed_time: 0 },
          },
        },
        { service: { shutdown_timeout: '2s' } },
      ),
    );
    let storedAtDown = -1;
    let storedWhileDown = -1;
    try {
      const started = Date.now();
      for (let index = 0; index < REQUESTS; index++) {
        if (index === DOWN_AT_REQUEST) {
          await server.fail('down');
          storedAtDown = server.acceptedEntries;
        }
        if (index === DOWN_AT_REQUEST + DOWN_FOR_REQUESTS) {
          storedWhileDown = server.acceptedEntries - storedAtDown;
          await server.recover();
        }
        await sleep(started + index * INTERVAL_MS - Date.now());
        const res = await postOtlpHttp(collector.endpoints['otlp/http']!, request(index));
        // A refused request would be resent by a real client, a duplicate of the test's own making.
        assert.equal(res.status, 200, `request ${index} accepted`);
      }

      assert.equal(storedWhileDown, 0, `nothing reached Loki while it was down (${DOWN_FOR_REQUESTS} requests were accepted meanwhile)`);

      await waitFor(() => (server.acceptedEntries >= TOTAL ? true : undefined), 20_000, `${TOTAL} entries in Loki`);
      const counts = new Map<string, number>();
      for (const entry of server.entries()) counts.set(entry.line, (counts.get(entry.line) ?? 0) + 1);
      const missing: number[] = [];
      for (let n = 0; n < TOTAL; n++) if (!counts.has(`record ${n}`)) missing.push(n);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} records missing`);
      const duplicated = [...counts].filter(([, count]) => count > 1).map(([line]) => line);
      assert.deepEqual(duplicated.slice(0, 10), [], `${duplicated.length} records duplicated though no attempt timed out`);
      assert.equal(server.entries().length, TOTAL);
    } finally {
      await collector.shutdown();
      await server.close();
    }
  });
});
