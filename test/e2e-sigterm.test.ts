import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogsData } from '@sluice/pdata';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { flatten, readJsonlLogs, tempDir } from './support/collector';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig, type OtlpPipelineOptions } from './support/pipeline-config';

function batch(ids: number[]): LogsData {
  const bodies = ids.map((id) => `record-${id}`);
  return logsWithBodies(bodies, {
    resource: { 'service.name': 'sigterm-test' },
    scopeName: 'test',
    firstTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
  });
}

/**
 * Starts a collector writing to a JSONL file, keeps 4 senders posting 20-record requests until
 * 2,000 records are acknowledged, then SIGTERMs it while requests are still in flight.
 */
async function sigtermWhileFlowing(
  options: OtlpPipelineOptions,
  beforeLoad: (collector: ChildCollector) => Promise<void> = async () => {},
): Promise<{ code: number | string; output: string; acknowledged: Set<number>; written: Set<number> }> {
  const tmp = await tempDir();
  const path = join(tmp.dir, 'logs.jsonl');
  const config = join(tmp.dir, 'config.yaml');
  await writeFile(config, otlpPipelineConfig({ jsonl: { path } }, options));
  const collector = await spawnCollector([config]);
  try {
    await beforeLoad(collector);
    const acknowledged = new Set<number>();
    let next = 1_000_000;
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
    const written = new Set(flatten(await readJsonlLogs(path)).map((r) => Number((r.record.body as string).slice('record-'.length))));
    return { code, output: collector.output(), acknowledged, written };
  } finally {
    await collector.kill();
    await tmp.cleanup();
  }
}

/** SIGTERM while logs are flowing: every request answered with success is in the file after exit. */
describe('SIGTERM while logs are flowing', function () {
  this.timeout(60_000);

  it('keeps every acknowledged record', async () => {
    const { code, output, acknowledged, written } = await sigtermWhileFlowing({});
    assert.equal(code, 0, `clean exit; output: ${output}`);
    const missing = [...acknowledged].filter((id) => !written.has(id));
    assert.ok(acknowledged.size >= 2000);
    assert.deepEqual(missing, [], `${missing.length} acknowledged records missing from the file`);
  });

  it('with a batch processor whose timeout is 1h: answers at once, and stops without loss or waiting out shutdown_timeout', async () => {
    let lone: number | undefined;
    const { code, output, acknowledged, written } = await sigtermWhileFlowing(
      { processors: { batch: { timeout: '1h', send_batch_size: 8192 } }, service: { shutdown_timeout: '5s' } },
      async (collector) => {
        // A lone request: a batch processor holding it for its timer would leave it unanswered for an hour.
        lone = (await postOtlpHttp(collector.endpoints['otlp/http']!, batch([0]))).status;
      },
    );
    assert.equal(lone, 200);
    assert.equal(code, 0, `clean exit; output: ${output}`);
    assert.doesNotMatch(output, /did not stop/, 'no component held data until the shutdown deadline');
    assert.ok(written.has(0), 'the lone record was written');
    const missing = [...acknowledged].filter((id) => !written.has(id));
    assert.ok(acknowledged.size >= 2000);
    assert.deepEqual(missing, [], `${missing.length} acknowledged records missing from the file`);
  });

  it('drains and exits 0 when SIGTERM comes right after the startup banner', async () => {
    // The banner says "running": a supervisor may signal at once, and a collector that is running must drain, not die.
    // The window is short, so ten starts give the signal ten chances to land in it.
    const tmp = await tempDir();
    const config = join(tmp.dir, 'config.yaml');
    await writeFile(config, otlpPipelineConfig({ jsonl: { path: join(tmp.dir, 'logs.jsonl') } }));
    try {
      const exits: Array<number | string> = [];
      for (let i = 0; i < 10; i++) exits.push(await (await spawnCollector([config])).stop());
      assert.deepEqual(
        exits.filter((code) => code !== 0),
        [],
        `exits of ten starts: ${exits.join(', ')}`,
      );
    } finally {
      await tmp.cleanup();
    }
  });
});
