/**
 * SIGTERM with a persistent (file_storage) Loki queue while Loki is down: everything acknowledged
 * is already on disk, so the collector must stop promptly (not wait out shutdown_timeout retrying
 * a dead Loki) and cleanly, and the next start must deliver every acknowledged record exactly
 * once and leave nothing live in the queue.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogsData } from '@sluice/pdata';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { tempDir, waitFor } from './support/collector';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';
import { startLokiTestServer } from './support/loki/server';

const REQUESTS = 20;
const RECORDS_PER_REQUEST = 50;
const TOTAL = REQUESTS * RECORDS_PER_REQUEST;
const SHUTDOWN_TIMEOUT_MS = 30_000;

function request(index: number): LogsData {
  const bodies = Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => `persisted ${index * RECORDS_PER_REQUEST + i}`);
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'shutdown' },
    scopeName: 'shutdown',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

/** Segment files (`*.seg`) under the queue directory: a segment stays while any record in it is live. */
async function segmentsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.seg')).map((e) => e.name);
}

describe('SIGTERM with a persistent Loki queue and Loki down', function () {
  this.timeout(90_000);

  it('exits promptly and cleanly, and the next start delivers every acknowledged record exactly once', async () => {
    const tmp = await tempDir();
    const server = await startLokiTestServer();
    const queueDir = join(tmp.dir, 'queue');
    const configFile = join(tmp.dir, 'config.yaml');
    await writeFile(
      configFile,
      otlpPipelineConfig(
        {
          loki: {
            endpoint: server.pushUrl,
            tenant_id: 'team-a',
            format: 'raw',
            sending_queue: { storage: 'file_storage' },
            // Retry forever: only the persistent queue's prompt shutdown can end the retries early.
            retry_on_failure: { initial_interval: '20ms', max_interval: '200ms', max_elapsed_time: 0 },
          },
          jsonl: { path: join(tmp.dir, 'logs.jsonl') },
        },
        {
          extensions: { file_storage: { directory: queueDir } },
          service: { shutdown_timeout: `${SHUTDOWN_TIMEOUT_MS / 1000}s` },
        },
      ),
    );
    const children: ChildCollector[] = [];
    try {
      await server.fail('down');
      const first = await spawnCollector([configFile]);
      children.push(first);
      for (let index = 0; index < REQUESTS; index++) {
        const res = await postOtlpHttp(first.endpoints['otlp/http']!, request(index));
        assert.equal(res.status, 200, `request ${index} acknowledged: ${res.text}`);
      }
      // A batch is being retried against the dead Loki when the signal comes.
      await waitFor(() => (/will retry/.test(first.output()) ? true : undefined), 15_000, 'a failed send being retried');

      const signalled = Date.now();
      const code = await Promise.race([
        first.stop(),
        new Promise<string>((resolve) => setTimeout(() => resolve('still running'), SHUTDOWN_TIMEOUT_MS / 2)),
      ]);
      const tookMs = Date.now() - signalled;
      assert.equal(code, 0, `exit within half of shutdown_timeout (${tookMs} ms); output:\n${first.output()}`);
      assert.doesNotMatch(first.output(), /did not stop/, 'no component held shutdown up');
      assert.match(first.output(), /unsent log records stay in the persistent queue/);
      assert.equal(server.acceptedEntries, 0, 'Loki was down throughout the first run');
      assert.ok((await segmentsUnder(queueDir)).length > 0, 'the backlog is on disk');

      await server.recover();
      const second = await spawnCollector([configFile]);
      children.push(second);
      assert.match(second.output(), /resuming batches from the persistent queue/);
      await waitFor(() => (server.acceptedEntries >= TOTAL ? true : undefined), 30_000, `${TOTAL} entries in Loki`);
      assert.equal(await second.stop(), 0, `clean exit; output:\n${second.output()}`);

      const lines = server.entries().map((e) => e.line);
      const counts = new Map<string, number>();
      for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
      const missing: number[] = [];
      for (let n = 0; n < TOTAL; n++) if (!counts.has(`persisted ${n}`)) missing.push(n);
      const duplicated = [...counts].filter(([, count]) => count > 1).map(([line]) => line);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged records missing`);
      assert.deepEqual(duplicated.slice(0, 10), [], `${duplicated.length} records delivered more than once`);
      assert.equal(lines.length, TOTAL);
      assert.deepEqual(await segmentsUnder(queueDir), [], 'no segment with a live record is left');

      // Semantically empty: a third start resumes nothing; a new record goes through alone.
      const third = await spawnCollector([configFile]);
      children.push(third);
      assert.equal((await postOtlpHttp(third.endpoints['otlp/http']!, logsWithBodies(['after restart']))).status, 200);
      await waitFor(() => (server.acceptedEntries > TOTAL ? true : undefined), 30_000, 'the new record in Loki');
      assert.equal(await third.stop(), 0, `clean exit; output:\n${third.output()}`);
      assert.doesNotMatch(third.output(), /resuming batches/);
      assert.equal(server.acceptedEntries, TOTAL + 1, 'nothing from the first run was sent again');
    } finally {
      for (const child of children) await child.kill();
      await server.close();
      await tmp.cleanup();
    }
  });
});
