import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogsData } from '@sluice/pdata';
import { spawnCollector } from './support/child-collector';
import { flatten, readJsonlLogs, tempDir } from './support/collector';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

function batch(ids: number[]): LogsData {
  const bodies = ids.map((id) => `record-${id}`);
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'sigterm-test' },
    scopeName: 'test',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

/** SIGTERM while logs are flowing: every request answered with success is in the file after exit. */
describe('SIGTERM while logs are flowing', function () {
  this.timeout(60_000);

  it('keeps every acknowledged record', async () => {
    const tmp = await tempDir();
    const path = join(tmp.dir, 'logs.jsonl');
    const config = join(tmp.dir, 'config.yaml');
    await writeFile(config, otlpPipelineConfig({ jsonl: { path } }));
    const collector = await spawnCollector([config]);
    const acknowledged = new Set<number>();
    let next = 0;
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const ids = Array.from({ length: 20 }, () => next++);
        try {
          const res = await postOtlpHttp(collector.endpoints['otlp/http']!, batch(ids));
          if (res.status === 200) ids.forEach((id) => acknowledged.add(id));
        } catch {
          // connection refused or reset once the collector stops listening: not acknowledged
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const senders = Array.from({ length: 4 }, sender);
    while (acknowledged.size < 2000) await new Promise((resolve) => setTimeout(resolve, 10));
    const code = await collector.stop();
    stop = true;
    await Promise.all(senders);

    assert.equal(code, 0, `clean exit; stderr: ${collector.stderr()}`);
    const written = new Set(flatten(await readJsonlLogs(path)).map((r) => Number((r.record.body as string).slice('record-'.length))));
    const missing = [...acknowledged].filter((id) => !written.has(id));
    assert.ok(acknowledged.size >= 2000);
    assert.deepEqual(missing, [], `${missing.length} acknowledged records missing from the file`);
    await tmp.cleanup();
  });
});
