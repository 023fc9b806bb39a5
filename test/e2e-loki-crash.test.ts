/**
 * Issue 3's crash test: the collector runs as a child process with its Loki sending queue on
 * disk (`file_storage`) while Loki is down. It acknowledges N records, is killed with SIGKILL (no
 * drain, no shutdown hook), and is started again with the same config once Loki is back: all N
 * reach Loki, and the second process says it resumed them from the persistent queue. The same
 * holds when the records were acknowledged but never batched: acknowledgement comes when a
 * request is on disk, not when its batch is sent.
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

const REQUESTS = 30;
const RECORDS_PER_REQUEST = 100;
const TOTAL = REQUESTS * RECORDS_PER_REQUEST;

/** Request `index`'s records: `acked <n>` for its share of 0 .. TOTAL-1. */
function request(index: number): LogsData {
  const bodies = Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => `acked ${index * RECORDS_PER_REQUEST + i}`);
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'crash' },
    scopeName: 'crash',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/** A collector config whose Loki queue lives in `queueDir`, with `batch` as its sending_queue.batch (absent: Loki's default). */
function crashConfig(pushUrl: string, queueDir: string, batch?: Record<string, unknown>): string {
  return otlpPipelineConfig(
    {
      loki: {
        endpoint: pushUrl,
        tenant_id: 'team-a',
        format: 'raw',
        sending_queue: { storage: 'file_storage', sizer: 'items', queue_size: 10000, ...(batch ? { batch } : {}) },
        retry_on_failure: { initial_interval: '20ms', max_interval: '200ms', max_elapsed_time: 0 },
      },
    },
    { extensions: { file_storage: { directory: queueDir } }, service: { shutdown_timeout: '2s' } },
  );
}

/** Every `acked <n>` for n < TOTAL that Loki does not hold. */
function missingFrom(lines: Iterable<string>): number[] {
  const have = new Set(lines);
  const missing: number[] = [];
  for (let n = 0; n < TOTAL; n++) if (!have.has(`acked ${n}`)) missing.push(n);
  return missing;
}

describe('collector crash with a file_storage queue', function () {
  this.timeout(60_000);

  it('sends every acknowledged record after SIGKILL and a restart', async () => {
    const tmp = await tempDir();
    const server = await startLokiTestServer();
    const queueDir = join(tmp.dir, 'queue');
    const configFile = join(tmp.dir, 'config.yaml');
    await writeFile(configFile, crashConfig(server.pushUrl, queueDir));
    const children: ChildCollector[] = [];
    try {
      await server.fail('down');
      const first = await spawnCollector([configFile]);
      children.push(first);
      for (let index = 0; index < REQUESTS; index++) {
        const res = await postOtlpHttp(first.endpoints['otlp/http']!, request(index));
        assert.equal(res.status, 200, `request ${index} acknowledged`);
      }
      assert.ok((await filesUnder(queueDir)).length > 0, 'the queue wrote to its directory');

      first.child.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      assert.doesNotMatch(first.stderr() + first.stdout(), /stay in the persistent queue/, 'killed, not shut down');
      assert.equal(server.requests, 0, 'Loki saw nothing from the first process');

      await server.recover();
      const second = await spawnCollector([configFile]);
      children.push(second);
      await waitFor(() => (server.acceptedEntries >= TOTAL ? true : undefined), 30_000, `${TOTAL} entries in Loki`);

      const missing = missingFrom(server.entries().map((e) => e.line));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged records missing`);
      assert.match(second.stdout() + second.stderr(), /resuming batches from the persistent queue/);
    } finally {
      for (const { child, exited } of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      }
      await server.close();
      await tmp.cleanup();
    }
  });

  it('sends records acknowledged but not yet batched after SIGKILL and a restart', async () => {
    const tmp = await tempDir();
    const server = await startLokiTestServer();
    const queueDir = join(tmp.dir, 'queue');
    const holding = join(tmp.dir, 'holding.yaml');
    const flushing = join(tmp.dir, 'flushing.yaml');
    // Loki is up, but the first process's batch cannot be complete before the kill: it waits an hour for a billion records.
    await writeFile(holding, crashConfig(server.pushUrl, queueDir, { flush_timeout: '1h', min_size: 1_000_000_000 }));
    await writeFile(flushing, crashConfig(server.pushUrl, queueDir));
    const children: ChildCollector[] = [];
    try {
      const first = await spawnCollector([holding]);
      children.push(first);
      for (let index = 0; index < REQUESTS; index++) {
        const res = await postOtlpHttp(first.endpoints['otlp/http']!, request(index));
        assert.equal(res.status, 200, `request ${index} acknowledged at once, not when its batch fills`);
      }
      first.child.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      assert.equal(server.requests, 0, 'nothing was batched and sent before the kill');

      const second = await spawnCollector([flushing]);
      children.push(second);
      await waitFor(() => (server.acceptedEntries >= TOTAL ? true : undefined), 30_000, `${TOTAL} entries in Loki`);
      const missing = missingFrom(server.entries().map((e) => e.line));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged records missing`);
      assert.equal(server.acceptedEntries, TOTAL, 'each record once');
    } finally {
      for (const { child, exited } of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      }
      await server.close();
      await tmp.cleanup();
    }
  });
});
