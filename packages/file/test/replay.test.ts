import assert from 'node:assert/strict';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createMemoryLogger } from '@sluice/core';
import { encodeLogsJson, type LogsData } from '@sluice/pdata';
import { expandGlobs, globToRegExp } from '../src/glob';
import { JsonFileReader } from '../src/json-file-reader';
import { createExporter, lines, noHost, sampleLogs, withTempDir } from './helpers';

function collector() {
  const bodies: string[] = [];
  return {
    bodies,
    consumer: {
      consume: (logs: LogsData) => {
        for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) bodies.push(r.body as string);
        return Promise.resolve();
      },
    },
  };
}

const line = (batch: number, records = 2) => `${encodeLogsJson(sampleLogs(records, { batch }))}\n`;

describe('replaying OTLP/JSON files', () => {
  it('reads active, rotated and .gz files once each, skipping and reporting corrupt lines with file:line', () =>
    withTempDir(async (dir) => {
      const server = join(dir, 'srv');
      await mkdir(server);
      await writeFile(join(server, 'logs-2024-01-01T00-00-00.000.jsonl.gz'), gzipSync(line(0) + line(1)));
      await writeFile(join(server, 'logs-2024-01-02T00-00-00.000.jsonl'), line(2) + '{"resourceLogs": [ broken\n' + line(3));
      // A compression that had finished but whose plain file was not removed yet: the same data twice on disk.
      await writeFile(join(server, 'logs-2024-01-03T00-00-00.000.jsonl'), line(4));
      await writeFile(join(server, 'logs-2024-01-03T00-00-00.000.jsonl.gz'), gzipSync(line(4)));
      await writeFile(join(server, 'logs.jsonl'), line(5) + 'not json at all\n' + line(6).trimEnd());

      const { bodies, consumer } = collector();
      const logger = createMemoryLogger();
      const reader = new JsonFileReader({ consumer, logger });
      await reader.read(await expandGlobs([`${dir}/**/*.jsonl*`]), { final: true });

      const expected = [0, 1, 2, 3, 4, 5, 6].flatMap((batch) => [`batch ${batch} record 0`, `batch ${batch} record 1`]);
      assert.deepEqual([...bodies].sort(), expected.sort());
      assert.equal(reader.totals.records, 14);
      assert.equal(reader.totals.skipped, 2);
      const skipped = logger.lines.filter((l) => l.message === 'malformed line skipped').map((l) => l.fields.location);
      assert.deepEqual(skipped.sort(), [join(server, 'logs-2024-01-02T00-00-00.000.jsonl:2'), join(server, 'logs.jsonl:2')]);
    }));

  it('follows a file through rotation and compression without reading anything twice', () =>
    withTempDir(async (dir) => {
      const { bodies, consumer } = collector();
      const reader = new JsonFileReader({ consumer, logger: createMemoryLogger() });
      const active = join(dir, 'logs.jsonl');
      const files = () => expandGlobs([join(dir, '*')]);
      await writeFile(active, line(0));
      await reader.read(await files());
      await writeFile(active, line(0) + line(1) + '{"partial');
      await reader.read(await files());
      assert.equal(bodies.length, 4, 'the incomplete last line waits');
      await writeFile(active, line(0) + line(1) + line(2));
      const backup = join(dir, 'logs-2024-01-01T00-00-00.000.jsonl');
      await rename(active, backup);
      await writeFile(active, line(3));
      await reader.read(await files());
      await writeFile(`${backup}.gz`, gzipSync(await readFile(backup)));
      await reader.read(await files());
      assert.deepEqual(
        bodies,
        [0, 1, 2, 3].flatMap((batch) => [`batch ${batch} record 0`, `batch ${batch} record 1`]),
      );
    }));

  it('reads what the jsonl exporter wrote, rotated and gzipped', () =>
    withTempDir(async (dir) => {
      const { exporter } = createExporter({ path: join(dir, 'logs.jsonl'), rotation: { max_megabytes: 0.002 } });
      await exporter.start(noHost);
      for (let batch = 0; batch < 10; batch++) await exporter.consume(sampleLogs(3, { batch }), {});
      await exporter.shutdown();
      const files = await expandGlobs([join(dir, '*')]);
      assert.ok(files.length > 2, `rotated: ${files.join(', ')}`);
      assert.ok(files.some((f) => f.endsWith('.gz')));
      const { bodies, consumer } = collector();
      await new JsonFileReader({ consumer, logger: createMemoryLogger() }).read(files, { final: true });
      assert.equal(bodies.length, 30);
      assert.equal(new Set(bodies).size, 30);
      assert.ok(lines(await readFile(join(dir, 'logs.jsonl'), 'utf8')).length > 0);
    }));

  it('skips a corrupt or truncated .gz file, counted and logged with its name, and reads the other files', () =>
    withTempDir(async (dir) => {
      const damaged = gzipSync(line(0) + line(1));
      // Flip bytes in the deflate data (after the 10-byte header): inflating fails part way or at the CRC.
      for (let i = 12; i < damaged.length - 8; i += 7) damaged[i] = damaged[i]! ^ 0xff;
      await writeFile(join(dir, 'a-damaged.jsonl.gz'), damaged);
      const whole = gzipSync(line(2) + line(3));
      await writeFile(join(dir, 'b-truncated.jsonl.gz'), whole.subarray(0, whole.length - 12));
      await writeFile(join(dir, 'c.jsonl'), line(4));
      await writeFile(join(dir, 'd.jsonl.gz'), gzipSync(line(5)));

      const { bodies, consumer } = collector();
      const logger = createMemoryLogger();
      const reader = new JsonFileReader({ consumer, logger });
      const files = await expandGlobs([join(dir, '*')]);
      await reader.read(files, { final: true });

      for (const batch of [4, 5]) for (const i of [0, 1]) assert.ok(bodies.includes(`batch ${batch} record ${i}`), `batch ${batch} read`);
      assert.equal(reader.totals.corruptFiles, 2);
      const reported = logger.lines.filter((l) => l.message === 'corrupt compressed file skipped').map((l) => l.fields.file);
      assert.deepEqual(reported.sort(), [join(dir, 'a-damaged.jsonl.gz'), join(dir, 'b-truncated.jsonl.gz')]);

      // Met again (a receiver's next poll): not counted or logged twice, nothing read twice.
      const read = bodies.length;
      await reader.read(files, { final: true });
      assert.equal(bodies.length, read);
      assert.equal(reader.totals.corruptFiles, 2);
      assert.equal(logger.lines.filter((l) => l.message === 'corrupt compressed file skipped').length, 2);
    }));

  it('matches otelcol-style globs', () => {
    assert.ok(globToRegExp('/a/**/*.jsonl').test('/a/b/c/x.jsonl'));
    assert.ok(globToRegExp('/a/**/*.jsonl').test('/a/x.jsonl'));
    assert.ok(!globToRegExp('/a/*.jsonl').test('/a/b/x.jsonl'));
    assert.ok(globToRegExp('/a/{x,y}.json?').test('/a/y.jsonl'));
    assert.ok(globToRegExp('/a/[!b]*').test('/a/c'));
    assert.ok(!globToRegExp('/a/[!b]*').test('/a/b'));
  });
});
