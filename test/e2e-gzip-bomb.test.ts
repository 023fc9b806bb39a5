import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeLogsProto } from '@sluice/pdata';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { tempDir } from './support/collector';
import { logsWithBodies } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

const MIB = 1024 * 1024;

/** Peak resident set size of a process, in bytes (VmHWM in /proc/<pid>/status). */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  assert.ok(match, 'VmHWM is in /proc/<pid>/status');
  return Number(match[1]) * 1024;
}

/**
 * A gzip bomb — 1 GiB of zeros once inflated, about 1 MB on the wire (1,024 gzip members of
 * 1 MiB each) — sent to a collector running as its own process: it answers 413 and its peak RSS
 * barely moves, because inflating stops at max_request_body_size.
 */
describe('receiver limits: a gzip bomb against a child-process collector', function () {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let collector: ChildCollector | undefined;

  before(async function () {
    if (process.platform !== 'linux') {
      console.log('    skipped: peak RSS (VmHWM) is read from /proc, which only Linux has');
      this.skip();
    }
    tmp = await tempDir();
    const config = join(tmp.dir, 'config.yaml');
    await writeFile(config, otlpPipelineConfig({ jsonl: { path: join(tmp.dir, 'out.jsonl') } }));
    collector = await spawnCollector([config]);
  });

  after(async () => {
    await collector?.stop();
    await tmp?.cleanup();
  });

  it('answers 413 after inflating at most the limit, with peak RSS under 200 MB above the baseline', async () => {
    const member = gzipSync(Buffer.alloc(MIB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    assert.ok(bomb.length < 2 * MIB, `the bomb is small on the wire (${bomb.length} bytes)`);
    const url = `http://${collector!.endpoints['otlp/http']}/v1/logs`;
    const pid = collector!.child.pid!;
    const baseline = await peakRss(pid);

    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: bomb,
    });
    assert.equal(res.status, 413);
    await res.arrayBuffer();
    const peak = await peakRss(pid);
    console.log(`      peak RSS: baseline ${(baseline / MIB).toFixed(1)} MiB, after the bomb ${(peak / MIB).toFixed(1)} MiB`);
    assert.ok(peak - baseline < 200 * 1000 * 1000, `peak RSS grew by ${((peak - baseline) / MIB).toFixed(1)} MiB`);

    const valid = encodeLogsProto(logsWithBodies([]));
    const after = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(valid),
    });
    assert.equal(after.status, 200, 'the collector still serves valid requests');
    assert.equal(collector!.child.exitCode, null, 'the collector is alive');
  });
});
