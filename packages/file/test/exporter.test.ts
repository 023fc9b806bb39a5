import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConsumeError, decodeLogsJson, decodeLogsProtoLazily, encodeLogsJson, encodeLogsProto, wireBytesOf } from '@sluice/pdata';
import { createExporter, lines, noHost, sampleLogs, withTempDir } from './helpers';

describe('jsonl exporter', () => {
  it('writes one OTLP/JSON LogsData per line that decodes back to the same data', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      const { exporter } = createExporter({ path });
      await exporter.start(noHost);
      const first = sampleLogs(3, { batch: 1 });
      const second = sampleLogs(2, { batch: 2, resource: [{ key: 'service.name', value: 'cart' }] });
      await exporter.consume(first, {});
      await exporter.consume(second, {});
      await exporter.shutdown();
      const written = lines(await readFile(path, 'utf8'));
      assert.equal(written.length, 2);
      assert.deepEqual(decodeLogsJson(written[0]!), first);
      assert.deepEqual(decodeLogsJson(written[1]!), second);
    }));

  it('writes flat lines, one per record', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'flat.jsonl');
      const { exporter } = createExporter({ path, format: 'flat' });
      await exporter.start(noHost);
      await exporter.consume(sampleLogs(3), {});
      await exporter.shutdown();
      const parsed = lines(await readFile(path, 'utf8')).map(
        (line) => JSON.parse(line) as { body: unknown; resource: Record<string, unknown> },
      );
      assert.deepEqual(
        parsed.map((p) => p.body),
        ['batch 0 record 0', 'batch 0 record 1', 'batch 0 record 2'],
      );
      assert.equal(parsed[0]!.resource['service.name'], 'checkout');
    }));

  it('truncates on start by default and appends with append: true', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      await writeFile(path, '{"old":true}\n');
      const appending = createExporter({ path, format: 'flat', append: true }).exporter;
      await appending.start(noHost);
      await appending.consume(sampleLogs(1), {});
      await appending.shutdown();
      assert.equal(lines(await readFile(path, 'utf8')).length, 2);

      const truncating = createExporter({ path, format: 'flat' }).exporter;
      await truncating.start(noHost);
      assert.equal((await readFile(path, 'utf8')).length, 0, 'start truncates');
      await truncating.consume(sampleLogs(1), {});
      await truncating.shutdown();
      assert.equal(lines(await readFile(path, 'utf8')).length, 1);
    }));

  it('creates the directory and the file with mode 0640', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'a', 'b', 'logs.jsonl');
      const { exporter } = createExporter({ path });
      await exporter.start(noHost);
      await exporter.consume(sampleLogs(1), {});
      await exporter.shutdown();
      assert.equal((await stat(path)).mode & 0o777, 0o640);
    }));

  it('never interleaves lines of concurrent consumes', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      const { exporter } = createExporter({ path, format: 'flat' });
      await exporter.start(noHost);
      const consumes = [];
      for (let batch = 0; batch < 200; batch++) {
        consumes.push(exporter.consume(sampleLogs(20, { batch, bodyPadding: 500 }), {}));
      }
      assert.ok(exporter.health().queue_length > 1, 'consumes queue up behind the write in flight');
      await Promise.all(consumes);
      await exporter.shutdown();
      const seen = new Set<string>();
      for (const line of lines(await readFile(path, 'utf8'))) seen.add((JSON.parse(line) as { body: string }).body.replace(/x+$/, ''));
      assert.equal(seen.size, 200 * 20);
    }));

  it('writes every line intact while lines from the request bytes wait in reused memory: concurrent consumes, rotation', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'logs.jsonl');
      // Rotation cuts the queued writes into several chunks, so lines wait while others are written.
      const { exporter } = createExporter({ path, rotation: { max_megabytes: 1, max_backups: 100, compress: 'none' } });
      await exporter.start(noHost);
      const expected: string[] = [];
      const consumes = [];
      // ~4 MB of lines: more than one of the arena's chunks, so memory given back is cut again.
      for (let batch = 0; batch < 300; batch++) {
        const logs = sampleLogs(5, { batch, bodyPadding: 2000 });
        expected.push(encodeLogsJson(logs));
        // As a receiver hands it on: the request's bytes, which the exporter transcodes into its arena.
        const request = decodeLogsProtoLazily(encodeLogsProto(logs)).logs;
        assert.ok(wireBytesOf(request));
        consumes.push(exporter.consume(request, {}));
        if (batch % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(consumes);
      await exporter.shutdown();
      const written: string[] = [];
      for (const file of await readdir(dir)) written.push(...lines(await readFile(join(dir, file), 'utf8')));
      assert.deepEqual(written.sort(), expected.sort());
    }));

  it('counts sent records in the metrics and the health', () =>
    withTempDir(async (dir) => {
      const { exporter, telemetry } = createExporter({ path: join(dir, 'logs.jsonl') });
      await exporter.start(noHost);
      await exporter.consume(sampleLogs(5), {});
      await exporter.consume(sampleLogs(2), {});
      const health = exporter.health();
      assert.equal(health.status, 'ok');
      assert.equal(health.entries_sent, 7);
      assert.equal(health.batches_sent, 2);
      assert.equal(health.queue_length, 0);
      assert.match(await telemetry.scrape(), /otelcol_exporter_sent_log_records_total\{exporter="jsonl"\} 7/);
      await exporter.shutdown();
    }));

  it('shuts down idempotently and refuses data afterwards with a retryable error', () =>
    withTempDir(async (dir) => {
      const { exporter } = createExporter({ path: join(dir, 'logs.jsonl') });
      await exporter.start(noHost);
      const accepted = exporter.consume(sampleLogs(1), {});
      await Promise.all([exporter.shutdown(), exporter.shutdown()]);
      await accepted;
      await assert.rejects(exporter.consume(sampleLogs(1), {}), (err: unknown) => {
        assert.ok(err instanceof ConsumeError);
        assert.equal(err.code, 'SLUICE_SHUTTING_DOWN');
        assert.equal(err.retryable, true);
        return true;
      });
      assert.equal(exporter.health().status, 'stopped');
    }));

  it('shuts down cleanly when never started', async () => {
    const { exporter } = createExporter({ path: '/nonexistent-dir-for-sluice/logs.jsonl' });
    await exporter.shutdown();
  });

  it('gzips each write with compression: gzip, readable with one gunzip', () =>
    withTempDir(async (dir) => {
      const { gunzipSync } = await import('node:zlib');
      const path = join(dir, 'logs.jsonl.gz');
      const { exporter } = createExporter({ path, format: 'flat', compression: 'gzip' });
      await exporter.start(noHost);
      await exporter.consume(sampleLogs(2, { batch: 1 }), {});
      await exporter.consume(sampleLogs(3, { batch: 2 }), {});
      await exporter.shutdown();
      const text = gunzipSync(await readFile(path)).toString('utf8');
      assert.equal(lines(text).length, 5);
    }));
});
