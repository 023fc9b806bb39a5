import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConsumeError } from '@sluice/pdata';
import { createExporter, lines, noHost, sampleLogs, withTempDir } from './helpers';

function isWriteFailed(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ConsumeError, `expected a ConsumeError, got ${String(err)}`);
    assert.equal(err.code, 'SLUICE_WRITE_FAILED');
    assert.equal(err.retryable, true);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('jsonl write errors', () => {
  it('rejects a consume on a full disk (ENOSPC), logs it and counts it', async function () {
    if (!existsSync('/dev/full')) {
      console.log('      skipped: /dev/full is not available on this system');
      this.skip();
    }
    const { exporter, logger, telemetry } = createExporter({ path: '/dev/full', append: true, create_directory: false });
    await exporter.start(noHost);
    await assert.rejects(exporter.consume(sampleLogs(3), {}), isWriteFailed(/cannot write \/dev\/full: .*ENOSPC/));
    const logged = logger.lines.find((line) => line.level === 'error');
    assert.equal(logged?.message, 'file write failed');
    assert.match(String(logged?.fields.error), /ENOSPC/);
    const health = exporter.health();
    assert.equal(health.status, 'failing');
    assert.equal(health.entries_failed, 3);
    assert.match(health.last_error ?? '', /SLUICE_WRITE_FAILED/);
    assert.match(await telemetry.scrape(), /otelcol_exporter_send_failed_log_records_total\{exporter="jsonl"\} 3/);
    await exporter.shutdown();
  });

  it('survives a path that is a directory (EISDIR) and recovers once it is a file again', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      await mkdir(path);
      const { exporter, logger } = createExporter({ path, format: 'flat' });
      await exporter.start(noHost); // logs the failure, does not throw
      assert.match(logger.lines.find((line) => line.level === 'error')?.fields.error as string, /EISDIR/);
      await assert.rejects(exporter.consume(sampleLogs(2, { batch: 1 }), {}), isWriteFailed(/EISDIR/));
      await rm(path, { recursive: true });
      await exporter.consume(sampleLogs(2, { batch: 2 }), {});
      await exporter.shutdown();
      const bodies = lines(await readFile(path, 'utf8')).map((line) => (JSON.parse(line) as { body: unknown }).body);
      assert.deepEqual(bodies, ['batch 2 record 0', 'batch 2 record 1']);
      assert.equal(exporter.health().entries_sent, 2);
    }));

  it('survives a parent that is a file (ENOTDIR) and recovers once it is a directory', () =>
    withTempDir(async (dir) => {
      const parent = join(dir, 'sub');
      await writeFile(parent, 'not a directory');
      const path = join(parent, 'logs.jsonl');
      const { exporter } = createExporter({ path, format: 'flat', append: true });
      await exporter.start(noHost);
      await assert.rejects(exporter.consume(sampleLogs(1), {}), isWriteFailed(/ENOTDIR|EEXIST/));
      await assert.rejects(exporter.consume(sampleLogs(1), {}), isWriteFailed(/ENOTDIR|EEXIST/));
      await rm(parent);
      await exporter.consume(sampleLogs(1, { batch: 3 }), {});
      assert.equal(exporter.health().status, 'ok');
      await exporter.shutdown();
      assert.equal(lines(await readFile(path, 'utf8')).length, 1);
    }));
});
