import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { decodeLogsJson, newLogRecord, type KeyValue, type LogsData } from '@sluice/pdata';
import { jsonlConfigSchema } from '../src/config';
import { PathTemplate, cleanValue } from '../src/path-template';
import { createExporter, lines, noHost, sampleLogs, withTempDir } from './helpers';

/** One resource holding one record per attribute set. */
function recordsWith(resource: KeyValue[], recordAttributes: KeyValue[][]): LogsData {
  const logs = sampleLogs(0, { resource });
  logs.resourceLogs[0]!.scopeLogs[0]!.logRecords = recordAttributes.map((attributes, i) => newLogRecord({ body: `r${i}`, attributes }));
  return logs;
}

/** Every file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** The record bodies in an OTLP/JSON file, read back with the OTLP/JSON decoder. */
async function bodiesIn(path: string): Promise<string[]> {
  return lines(await readFile(path, 'utf8')).flatMap((line) =>
    decodeLogsJson(line).resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body as string))),
  );
}

describe('jsonl path routing', () => {
  it('routes by a record attribute (what group_by drops)', () =>
    withTempDir(async (dir) => {
      const { exporter } = createExporter({ path: join(dir, '{attributes.server}/logs.jsonl') });
      await exporter.start(noHost);
      const servers = ['alpha', 'beta', 'alpha', 'gamma', 'beta', 'alpha'];
      await exporter.consume(
        recordsWith(
          [],
          servers.map((server) => [{ key: 'server', value: server }]),
        ),
        {},
      );
      await exporter.shutdown();
      assert.deepEqual(await filesUnder(dir), ['alpha/logs.jsonl', 'beta/logs.jsonl', 'gamma/logs.jsonl']);
      assert.deepEqual(await bodiesIn(join(dir, 'alpha/logs.jsonl')), ['r0', 'r2', 'r5']);
      assert.deepEqual(await bodiesIn(join(dir, 'beta/logs.jsonl')), ['r1', 'r4']);
      const health = exporter.health();
      assert.equal(health.entries_sent, 6);
      assert.equal(health.entries_dropped, 0);
    }));

  it('combines a resource and a record attribute, with fallbacks and a default', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'telemetry/{resource.stack}/{attributes.component|attributes.server|_unrouted}/logs.jsonl');
      const { exporter } = createExporter({ path });
      await exporter.start(noHost);
      await exporter.consume(
        recordsWith(
          [{ key: 'stack', value: 'prod' }],
          [
            [{ key: 'component', value: 'gateway' }],
            [{ key: 'server', value: 'github' }],
            [
              { key: 'server', value: 'ignored' },
              { key: 'component', value: 'gateway' },
            ],
            [{ key: 'other', value: 'x' }],
            [{ key: 'component', value: '' }],
          ],
        ),
        {},
      );
      await exporter.consume(recordsWith([{ key: 'stack', value: 'dev' }], [[{ key: 'server', value: 'github' }]]), {});
      await exporter.shutdown();
      assert.deepEqual(await filesUnder(dir), [
        'telemetry/dev/github/logs.jsonl',
        'telemetry/prod/_unrouted/logs.jsonl',
        'telemetry/prod/gateway/logs.jsonl',
        'telemetry/prod/github/logs.jsonl',
      ]);
      assert.deepEqual(await bodiesIn(join(dir, 'telemetry/prod/gateway/logs.jsonl')), ['r0', 'r2']);
      assert.deepEqual(await bodiesIn(join(dir, 'telemetry/prod/_unrouted/logs.jsonl')), ['r3', 'r4']);
      // The resource and scope travel with every file's records.
      const line = lines(await readFile(join(dir, 'telemetry/prod/github/logs.jsonl'), 'utf8'))[0]!;
      const decoded = decodeLogsJson(line).resourceLogs[0]!;
      assert.deepEqual(decoded.resource.attributes, [{ key: 'stack', value: 'prod' }]);
      assert.equal(decoded.scopeLogs[0]!.scope.name, 'test-scope');
    }));

  it('drops (counting) records a placeholder without default cannot place', () =>
    withTempDir(async (dir) => {
      const { exporter, logger } = createExporter({ path: join(dir, '{resource.stack}/{attributes.server}.jsonl') });
      await exporter.consume(recordsWith([{ key: 'stack', value: 's' }], [[{ key: 'server', value: 'a' }], []]), {});
      await exporter.consume(recordsWith([], [[{ key: 'server', value: 'a' }]]), {});
      await exporter.shutdown();
      assert.deepEqual(await filesUnder(dir), ['s/a.jsonl']);
      assert.equal(exporter.health().entries_dropped, 2);
      assert.equal(exporter.health().entries_sent, 1);
      assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 1, 'the warning is rate limited');
    }));

  it('keeps every routed file under the base directory, whatever the value', () =>
    withTempDir(async (dir) => {
      const attempts = [
        '..',
        '.',
        '...',
        '../../etc/passwd',
        '/etc/passwd',
        '..\\..\\windows',
        'a/../../b',
        'nul\u0000byte',
        'new\nline',
        '~',
        'x'.repeat(1000),
        '',
      ];
      const base = join(dir, 'base');
      const { exporter } = createExporter({
        path: join(base, '{attributes.server|fallback}/{attributes.server}{attributes.server}.jsonl'),
      });
      await exporter.consume(
        recordsWith(
          [],
          attempts.map((value) => [{ key: 'server', value }]),
        ),
        {},
      );
      await exporter.shutdown();
      const outside = (await filesUnder(dir)).filter((file) => !resolve(dir, file).startsWith(base + sep));
      assert.deepEqual(outside, []);
      for (const file of await filesUnder(base)) {
        const segments = file.split(sep);
        assert.equal(segments.length, 2, `${file} is exactly one directory deep`);
        for (const segment of segments) {
          assert.ok(segment !== '..' && segment !== '.' && !segment.includes('\u0000') && segment.length < 255, file);
        }
      }
      // '' has no value: that record is dropped, every other one written.
      assert.equal(exporter.health().entries_dropped, 1);
      assert.equal(exporter.health().entries_sent, attempts.length - 1);
    }));

  it('cleans each value into a single safe segment', () => {
    assert.equal(cleanValue('..'), '_');
    assert.equal(cleanValue('.'), '_');
    assert.equal(cleanValue('../x'), '.._x');
    assert.equal(cleanValue('/abs'), '_abs');
    assert.equal(cleanValue('a\\b'), 'a_b');
    assert.equal(cleanValue('a\u0000b'), 'a_b');
    assert.equal(cleanValue('.hidden'), '.hidden');
    assert.equal(cleanValue('y'.repeat(500)).length, 120);
  });

  it('cuts long values by bytes, not characters, and never inside a character', () =>
    withTempDir(async (dir) => {
      for (const value of ['中'.repeat(200), 'é'.repeat(200), '😀'.repeat(100), `a${'😀'.repeat(100)}`]) {
        const cleaned = cleanValue(value);
        assert.ok(Buffer.byteLength(cleaned) <= 120, `${Buffer.byteLength(cleaned)} bytes`);
        assert.ok(!/\uFFFD/.test(cleaned) && value.startsWith(cleaned), 'a whole-character prefix');
      }
      // 200 CJK characters were 360 bytes once cut to 120 characters: ENAMETOOLONG, the batch refused forever.
      const { exporter } = createExporter({ path: join(dir, '{attributes.server}.jsonl') });
      await exporter.consume(recordsWith([], [[{ key: 'server', value: '中'.repeat(200) }]]), {});
      await exporter.shutdown();
      assert.equal(exporter.health().entries_sent, 1);
    }));

  it('compiles at config time and refuses malformed templates', () => {
    const config = jsonlConfigSchema.parse({ path: 'logs/{resource.service.name|unknown}.jsonl' });
    assert.ok(config.template instanceof PathTemplate);
    assert.equal(config.template.resolve([{ key: 'service.name', value: 'api' }], []), 'logs/api.jsonl');
    assert.equal(config.template.resolve([], []), 'logs/unknown.jsonl');
    assert.equal(config.template.baseDir, 'logs');
    assert.equal(jsonlConfigSchema.parse({ path: 'logs.jsonl' }).template, undefined);
    for (const path of ['logs/{server}.jsonl', 'logs/{a|resource.x}.jsonl', 'logs/{resource.}.jsonl', 'logs/{resource.x}}.jsonl']) {
      assert.equal(jsonlConfigSchema.safeParse({ path }).success, false, path);
    }
    const both = jsonlConfigSchema.safeParse({ path: 'logs/{resource.x}/*.jsonl', group_by: { enabled: true } });
    assert.equal(both.success, false);
  });
});
