import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SluiceError, decodeLogsJson, encodeLogsJson, newLogRecord, type LogsData } from '@sluice/pdata';
import { findFileGroups, inventory } from '../src/file-inventory';
import { readLines } from '../src/line-reader';
import { createExporter, noHost, parseConfig, sampleLogs, withTempDir } from './helpers';

const NS = 1_700_000_000_000_000_000n;

function batch(server: string, times: bigint[], tag = ''): LogsData {
  const logs = sampleLogs(0, { resource: [{ key: 'stack', value: 'prod' }] });
  logs.resourceLogs[0]!.scopeLogs[0]!.logRecords = times.map((t, i) =>
    newLogRecord({ timeUnixNano: t, body: `${server}${tag} ${i}`, attributes: [{ key: 'server', value: server }] }),
  );
  return logs;
}

const template = (dir: string) => join(dir, 'telemetry/{resource.stack}/{attributes.server}/logs.jsonl');

async function bodiesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    for await (const line of readLines(join(entry.parentPath, entry.name)))
      for (const rl of decodeLogsJson(line.bytes).resourceLogs)
        for (const sl of rl.scopeLogs) for (const r of sl.logRecords) out.push(r.body as string);
  }
  return out.sort();
}

describe('jsonl inventory and wipe', () => {
  it('lists each server with its rotated files, total size and oldest/newest record times', () =>
    withTempDir(async (dir) => {
      const config = parseConfig({ path: template(dir) });
      const a = join(dir, 'telemetry/prod/a');
      await mkdir(a, { recursive: true });
      await writeFile(join(a, 'logs-2024-01-01T00-00-00.000.jsonl.gz'), gzipSync(`${encodeLogsJson(batch('a', [NS + 5n, NS + 1n]))}\n`));
      await writeFile(join(a, 'logs-2024-01-02T00-00-00.000.jsonl'), `${encodeLogsJson(batch('a', [NS + 50n]))}\n`);
      await writeFile(
        join(a, 'logs.jsonl'),
        `${encodeLogsJson(batch('a', [NS + 60n]))}\n${encodeLogsJson(batch('a', [NS + 90n, NS + 70n]))}\n`,
      );
      await mkdir(join(dir, 'telemetry/prod/b'), { recursive: true });
      await writeFile(join(dir, 'telemetry/prod/b/logs.jsonl'), `${encodeLogsJson(batch('b', [NS + 7n]))}\n`);
      await writeFile(join(dir, 'telemetry/prod/b/notes.txt'), 'not ours\n');

      const entries = await inventory(config);
      assert.deepEqual(
        entries.map((e) => [e.server, e.signal, e.file_count]),
        [
          ['prod/a', 'logs', 3],
          ['prod/b', 'logs', 1],
        ],
      );
      let size = 0;
      for (const name of await readdir(a)) size += (await stat(join(a, name))).size;
      assert.equal(entries[0]!.size_bytes, size);
      assert.equal(entries[0]!.path, join(a, 'logs.jsonl'));
      assert.equal(entries[0]!.oldest, '2023-11-14T22:13:20.000000001Z');
      assert.equal(entries[0]!.newest, '2023-11-14T22:13:20.00000009Z');
      assert.deepEqual(
        (await inventory(config, { server: 'b' })).map((e) => e.server),
        ['prod/b'],
      );
      await assert.rejects(inventory(config, { signal: 'spans' }), (err: SluiceError) => err.code === 'SLUICE_UNKNOWN_SIGNAL');
      assert.deepEqual(await inventory(config, { signal: 'traces' }), []);
    }));

  it('a missing directory is an empty inventory and a successful wipe', () =>
    withTempDir(async (dir) => {
      const { exporter } = createExporter({ path: join(dir, 'nothing/{attributes.server}/logs.jsonl') });
      assert.deepEqual(await exporter.inventory(), []);
      assert.equal(await exporter.wipe({ server: 'x' }), 0);
      await exporter.shutdown();
    }));

  for (const selector of [{ server: 'a' }, { signal: 'logs' }, { server: 'a', signal: 'logs' }, {}]) {
    it(`wipes ${JSON.stringify(selector)} while records keep flowing: nothing before survives, nothing after is lost`, () =>
      withTempDir(async (dir) => {
        const { exporter } = createExporter({ path: template(dir), rotation: { max_megabytes: 0.001 }, append: true });
        await exporter.start(noHost);
        let n = 0;
        const send = (tag: string) =>
          exporter.consume({ resourceLogs: ['a', 'b'].flatMap((s) => batch(s, [NS + BigInt(n++)], tag).resourceLogs) }, {});
        for (let i = 0; i < 10; i++) await send('-before');
        // Sends in flight on both sides of the wipe: those accepted before it may go, those after must stay.
        const during = [send('-before'), send('-before')];
        const wiped = exporter.wipe(selector);
        const after = [send('-after'), send('-after')];
        await Promise.all([...during, wiped, ...after]);
        for (let i = 0; i < 3; i++) await send('-after');
        await exporter.shutdown();
        assert.ok((await wiped) > 0);

        const bodies = await bodiesUnder(join(dir, 'telemetry'));
        const wipedServers = selector.server ? ['a'] : ['a', 'b'];
        for (const server of ['a', 'b']) {
          const before = bodies.filter((b) => b.startsWith(`${server}-before`)).length;
          const afterCount = bodies.filter((b) => b.startsWith(`${server}-after`)).length;
          assert.equal(afterCount, 5, `${server}: every record sent after the wipe is there`);
          if (wipedServers.includes(server)) assert.equal(before, 0, `${server}: nothing from before the wipe`);
          else assert.equal(before, 12, `${server}: untouched`);
        }
        const groups = await findFileGroups(parseConfig({ path: template(dir) }));
        assert.ok(groups.every((g) => g.files.length > 0));
      }));
  }
});
