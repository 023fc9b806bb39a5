import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { backupPath, listBackups } from '../src/backups';
import { createExporter, lines, noHost, sampleLogs, withTempDir } from './helpers';

const BACKUP_NAME = /^logs-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.jsonl\.gz$/;

/** Reads every line of the live file and of every backup (gunzipping .gz ones). */
async function allLines(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const data = await readFile(join(dir, name));
    out.push(...lines((name.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8')));
  }
  return out;
}

/**
 * Waits until background compression and pruning are done: only .gz backups beside the live file,
 * and no more than `maxBackups` of them (the mocha timeout bounds the wait).
 */
async function settled(dir: string, live: string, maxBackups = Infinity): Promise<string[]> {
  for (;;) {
    const names = (await readdir(dir)).filter((name) => name !== live);
    if (names.length <= maxBackups && names.every((name) => BACKUP_NAME.test(name))) return names;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('jsonl rotation', () => {
  it('names backups as lumberjack does, in UTC unless localtime', () => {
    const time = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
    assert.equal(backupPath('/var/log/logs.jsonl', time, false), '/var/log/logs-2024-01-02T03-04-05.006.jsonl');
    assert.equal(backupPath('/var/log/logs', time, false), '/var/log/logs-2024-01-02T03-04-05.006');
  });

  it('rotates by size into gzip backups, loses no line and keeps the files small', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      // 0.01 MB ≈ 10 kB; each consume below is ≈ 1.3 kB of flat lines.
      const { exporter } = createExporter({ path, format: 'flat', rotation: { max_megabytes: 0.01, max_backups: 0 } });
      await exporter.start(noHost);
      for (let batch = 0; batch < 60; batch++) await exporter.consume(sampleLogs(4, { batch, bodyPadding: 100 }), {});
      const backups = await settled(dir, 'logs.jsonl');
      await exporter.shutdown();
      assert.ok(backups.length >= 5, `expected several backups, got ${backups.length}`);
      for (const name of backups) {
        const size = gunzipSync(await readFile(join(dir, name))).length;
        assert.ok(size <= 0.01 * 1024 * 1024, `${name} holds ${size} bytes`);
      }
      const bodies = new Set((await allLines(dir)).map((line) => (JSON.parse(line) as { body: string }).body.replace(/x+$/, '')));
      assert.equal(bodies.size, 60 * 4);
    }));

  it('rotates concurrent consumes that queue up together', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      const { exporter } = createExporter({ path, format: 'flat', rotation: { max_megabytes: 0.01, max_backups: 0 } });
      await exporter.start(noHost);
      await Promise.all(Array.from({ length: 60 }, (_, batch) => exporter.consume(sampleLogs(4, { batch, bodyPadding: 100 }), {})));
      await settled(dir, 'logs.jsonl');
      await exporter.shutdown();
      assert.equal((await allLines(dir)).length, 60 * 4);
    }));

  it('keeps at most max_backups backups, the newest ones', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      const { exporter } = createExporter({ path, format: 'flat', rotation: { max_megabytes: 0.001, max_backups: 3 } });
      await exporter.start(noHost);
      for (let batch = 0; batch < 20; batch++) await exporter.consume(sampleLogs(1, { batch, bodyPadding: 800 }), {});
      const names = await settled(dir, 'logs.jsonl', 3);
      await exporter.shutdown();
      assert.equal(names.length, 3);
      const kept = (await allLines(dir)).map((line) => (JSON.parse(line) as { body: string }).body.replace(/x+$/, ''));
      assert.ok(kept.includes('batch 19 record 0') && kept.includes('batch 18 record 0'), 'the newest data is kept');
      assert.ok(!kept.includes('batch 0 record 0'), 'the oldest backup was pruned');
    }));

  it('prunes backups older than max_days', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      const now = Date.UTC(2024, 5, 10);
      const old = backupPath(path, now - 3 * 86_400_000, false);
      const recent = backupPath(path, now - 86_400_000, false);
      await writeFile(old, 'old\n');
      await writeFile(recent, 'recent\n');
      const { exporter } = createExporter(
        { path, format: 'flat', append: true, rotation: { max_days: 2, compress: 'none' } },
        { now: () => now },
      );
      await exporter.start(noHost);
      await exporter.shutdown();
      const { backups } = await listBackups(path, false);
      assert.deepEqual(
        backups.map((b) => b.plain),
        [recent],
      );
    }));

  it('finishes a compression that a stopped process left behind, keeping the plain file until then', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      const backup = backupPath(path, Date.UTC(2024, 0, 1), false);
      await writeFile(backup, 'complete line\n');
      await writeFile(`${backup}.gz.tmp`, 'half a gzip stream');
      const { exporter } = createExporter({ path, append: true, rotation: { max_backups: 0 } });
      await exporter.start(noHost);
      const names = await settled(dir, 'logs.jsonl');
      await exporter.shutdown();
      assert.deepEqual(names, [`${backup.slice(dir.length + 1)}.gz`]);
      assert.equal(gunzipSync(await readFile(`${backup}.gz`)).toString('utf8'), 'complete line\n');
    }));
});
