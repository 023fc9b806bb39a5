import assert from 'node:assert/strict';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogsData } from '@sluice/pdata';
import { groupPath } from '../src/group-path';
import { createExporter, lines, noHost, sampleLogs, withTempDir } from './helpers';

const ATTRIBUTE = 'fileexporter.path_segment';

function logsFor(segments: string[], batch = 0): LogsData {
  return {
    resourceLogs: segments.flatMap((segment) => sampleLogs(2, { batch, resource: [{ key: ATTRIBUTE, value: segment }] }).resourceLogs),
  };
}

/** How many of this process's file descriptors point into `dir` (Linux /proc). */
async function openFilesUnder(dir: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) count++;
  }
  return count;
}

describe('jsonl group_by', () => {
  it('cleans the attribute value so it cannot leave the directory', () => {
    assert.equal(groupPath('/logs/*.jsonl', 'checkout'), '/logs/checkout.jsonl');
    assert.equal(groupPath('/logs/*.jsonl', 'team/app'), '/logs/team/app.jsonl');
    assert.equal(groupPath('/logs/*.jsonl', '../../etc/passwd'), '/logs/etc/passwd.jsonl');
    assert.equal(groupPath('/logs/*.jsonl', '/abs\\..\\x'), '/logs/abs/x.jsonl');
    assert.equal(groupPath('/logs/*.jsonl', '..'), '/logs/_.jsonl');
    assert.equal(groupPath('/logs/*.jsonl', 'a\nb'), '/logs/a_b.jsonl');
  });

  it('routes each resource to the file its attribute names, and drops (counting) those without it', () =>
    withTempDir(async (dir) => {
      const { exporter, logger } = createExporter({ path: join(dir, '*.jsonl'), format: 'flat', group_by: { enabled: true } });
      await exporter.start(noHost);
      const logs = logsFor(['cart', 'checkout', 'cart']);
      logs.resourceLogs.push(...sampleLogs(1, { resource: [{ key: 'service.name', value: 'anonymous' }] }).resourceLogs);
      await exporter.consume(logs, {});
      await exporter.shutdown();
      assert.deepEqual((await readdir(dir)).sort(), ['cart.jsonl', 'checkout.jsonl']);
      assert.equal(lines(await readFile(join(dir, 'cart.jsonl'), 'utf8')).length, 4);
      const checkout = lines(await readFile(join(dir, 'checkout.jsonl'), 'utf8')).map(
        (line) => JSON.parse(line) as { resource: Record<string, unknown> },
      );
      assert.deepEqual(
        checkout.map((record) => record.resource[ATTRIBUTE]),
        ['checkout', 'checkout'],
      );
      const health = exporter.health();
      assert.equal(health.entries_sent, 6);
      assert.equal(health.entries_dropped, 1);
      assert.ok(logger.lines.some((line) => line.level === 'warn' && line.fields.records === 1));
    }));

  it('keeps at most max_open_files open and appends when a closed file is reopened', async function () {
    if (process.platform !== 'linux') {
      console.log('      skipped: counting open files needs Linux /proc');
      this.skip();
    }
    await withTempDir(async (dir) => {
      const { exporter } = createExporter({ path: join(dir, '*.jsonl'), format: 'flat', group_by: { enabled: true, max_open_files: 2 } });
      await exporter.start(noHost);
      const segments = ['a', 'b', 'c', 'd'];
      for (let round = 0; round < 3; round++) {
        for (const segment of segments) {
          await exporter.consume(logsFor([segment], round), {});
          assert.ok((await openFilesUnder(dir)) <= 2, 'no more than 2 files open');
        }
      }
      await Promise.all(segments.map((segment, batch) => exporter.consume(logsFor([segment], 10 + batch), {})));
      assert.ok((await openFilesUnder(dir)) <= 2, 'no more than 2 files open after concurrent consumes');
      await exporter.shutdown();
      assert.equal(await openFilesUnder(dir), 0);
      for (const segment of segments) {
        assert.equal(lines(await readFile(join(dir, `${segment}.jsonl`), 'utf8')).length, 4 * 2, `${segment}.jsonl kept every round`);
      }
    });
  });
});
