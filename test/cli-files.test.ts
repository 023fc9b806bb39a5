import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeLogsJson } from '@sluice/pdata';
import { runSluice, spawnCollector } from './support/child-collector';
import { flatten, readJsonlLogs, startTestCollector, tempDir } from './support/collector';
import { logsWithBodies, postOtlpHttp } from './support/otlp';

const TOKEN = 'cli-admin-token-51be';

/** One OTLP/JSON line holding a record per body. */
const line = (...bodies: string[]) => `${encodeLogsJson(logsWithBodies(bodies, { firstTimeUnixNano: 1_700_000_000_000_000_000n }))}\n`;

/** A collector config: OTLP/HTTP in, jsonl out routed by the `server` attribute; optionally file_admin. */
function collectorConfig(dir: string, extra = ''): string {
  return `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  jsonl:
    path: ${join(dir, 'telemetry/{attributes.server|_unrouted}/logs.jsonl')}
${extra}service:
  telemetry: { metrics: { level: none } }
  ${extra ? 'extensions: [bearertokenauth, file_admin]' : ''}
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl] }
`;
}

const ADMIN = `extensions:
  bearertokenauth:
    token: ${TOKEN}
  file_admin:
    endpoint: 127.0.0.1:0
    auth: { authenticator: bearertokenauth }
`;

async function bodiesIn(path: string): Promise<string[]> {
  return flatten(await readJsonlLogs(path)).map((r) => r.record.body as string);
}

describe('sluice replay and sluice files (the real CLI)', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let input: string;
  beforeEach(async () => {
    tmp = await tempDir();
    input = join(tmp.dir, 'input/srv');
    await mkdir(input, { recursive: true });
    await writeFile(join(input, 'logs-2024-01-01T00-00-00.000.jsonl.gz'), gzipSync(line('r0', 'r1')));
    await writeFile(join(input, 'logs.jsonl'), line('r2') + '{"broken\n' + line('r3', 'r4'));
  });
  afterEach(() => tmp.cleanup());

  it('replay DIR --to URL sends every valid record to a running collector and prints the summary', async () => {
    const out = join(tmp.dir, 'out.jsonl');
    const { collector } = await startTestCollector(`receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  jsonl:
    path: ${out}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl] }
`);
    try {
      const run = await runSluice(['replay', join(tmp.dir, 'input'), '--to', `http://${collector.endpoints['otlp/http']}`]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^replayed 5 records from 2 files, 1 malformed line skipped, in \d+\.\ds\n$/);
      assert.match(run.stderr, /malformed line skipped.*logs\.jsonl:2/);
      assert.deepEqual((await bodiesIn(out)).sort(), ['r0', 'r1', 'r2', 'r3', 'r4']);
    } finally {
      await collector.shutdown();
    }
  });

  it("replay DIR --config FILE runs the files through that config's pipelines (its receivers never start)", async () => {
    const out = join(tmp.dir, 'via-config.jsonl');
    const config = join(tmp.dir, 'replay.yaml');
    await writeFile(
      config,
      `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
processors:
  attributes:
    actions: [{ key: replayed, value: "yes", action: insert }]
exporters:
  jsonl:
    path: ${out}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], processors: [attributes], exporters: [jsonl] }
`,
    );
    const run = await runSluice(['replay', input, '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^replayed 5 records from 2 files, 1 malformed line skipped, in /);
    const records = flatten(await readJsonlLogs(out));
    assert.deepEqual(records.map((r) => r.record.body).sort(), ['r0', 'r1', 'r2', 'r3', 'r4']);
    assert.ok(records.every((r) => r.record.attributes.some((a) => a.key === 'replayed')));
  });

  it('replay refuses a call without --to or --config, and a path that does not exist', async () => {
    const neither = await runSluice(['replay', input]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /either --to URL .* or --config FILE/);
    const missing = await runSluice(['replay', join(tmp.dir, 'nope'), '--to', 'http://127.0.0.1:9']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^sluice replay: SLUICE_CONFIG_READ: .*nope: no such file or directory, or nothing in it\n$/);
  });

  it('files list --json, wipe --yes on disk (with its warning), refusal without --yes, unknown --signal', async () => {
    const config = join(tmp.dir, 'collector.yaml');
    await writeFile(config, collectorConfig(tmp.dir));
    for (const server of ['a', 'b']) {
      await mkdir(join(tmp.dir, 'telemetry', server), { recursive: true });
      await writeFile(join(tmp.dir, 'telemetry', server, 'logs.jsonl'), line(`${server}0`));
    }
    const list = await runSluice(['files', 'list', '--config', config, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Array<{ exporter: string; server: string; signal: string; file_count: number; oldest: string }>;
    assert.deepEqual(
      rows.map((r) => [r.exporter, r.server, r.signal, r.file_count]),
      [
        ['jsonl', 'a', 'logs', 1],
        ['jsonl', 'b', 'logs', 1],
      ],
    );
    assert.equal(rows[0]!.oldest, '2023-11-14T22:13:20Z');

    const unconfirmed = await runSluice(['files', 'wipe', '--config', config, '--server', 'a']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /would remove 1 files; add --yes to confirm/);
    assert.deepEqual(await readdir(join(tmp.dir, 'telemetry')), ['a', 'b']);

    const badSignal = await runSluice(['files', 'wipe', '--config', config, '--signal', 'spans', '--yes']);
    assert.equal(badSignal.code, 2);
    assert.match(badSignal.stderr, /SLUICE_UNKNOWN_SIGNAL: unknown signal "spans"; use one of logs, metrics, traces/);

    const wiped = await runSluice(['files', 'wipe', '--config', config, '--server', 'a', '--yes']);
    assert.equal(wiped.code, 0, wiped.stderr);
    assert.equal(wiped.stdout, 'removed 1 file\n');
    assert.match(wiped.stderr, /removing on disk; a collector writing these files now can interleave/);
    assert.deepEqual(await readdir(join(tmp.dir, 'telemetry')), ['b']);
  });

  it("files list and wipe go through a running collector's file_admin: the same JSON, its token, no lost writes", async () => {
    const config = join(tmp.dir, 'admin.yaml');
    await writeFile(config, collectorConfig(tmp.dir, ADMIN));
    const collector = await spawnCollector([config]);
    try {
      const admin = `http://${collector.endpoints.file_admin}`;
      const receiver = collector.endpoints['otlp/http']!;
      const send = (server: string, body: string) =>
        postOtlpHttp(receiver, {
          resourceLogs: logsWithBodies([body]).resourceLogs.map((rl) => ({
            ...rl,
            scopeLogs: rl.scopeLogs.map((sl) => ({
              ...sl,
              logRecords: sl.logRecords.map((r) => ({ ...r, attributes: [{ key: 'server', value: server }] })),
            })),
          })),
        });
      assert.equal((await send('a', 'before')).status, 200);
      assert.equal((await send('b', 'kept')).status, 200);

      const viaAdmin = await runSluice(['files', 'list', '--json', '--admin', admin], { SLUICE_ADMIN_TOKEN: TOKEN });
      assert.equal(viaAdmin.code, 0, viaAdmin.stderr);
      const onDisk = await runSluice(['files', 'list', '--json', '--config', config]);
      assert.equal(viaAdmin.stdout, onDisk.stdout, 'the extension answers with the same JSON as the disk listing');
      assert.equal((JSON.parse(viaAdmin.stdout) as unknown[]).length, 2);

      const refused = await runSluice(['files', 'list', '--admin', admin], { SLUICE_ADMIN_TOKEN: 'wrong' });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /file_admin answered 401: the bearer token is not valid/);

      // The token comes from the config's bearertokenauth when the config is given.
      const wiped = await runSluice(['files', 'wipe', '--admin', admin, '--config', config, '--server', 'a', '--yes']);
      assert.equal(wiped.code, 0, wiped.stderr);
      assert.equal(wiped.stdout, 'removed 1 file\n');
      assert.doesNotMatch(wiped.stderr, /removing on disk/);
      assert.equal((await send('a', 'after')).status, 200);
      assert.equal(await collector.stop(), 0);
      assert.deepEqual(await bodiesIn(join(tmp.dir, 'telemetry/a/logs.jsonl')), ['after']);
      assert.deepEqual(await bodiesIn(join(tmp.dir, 'telemetry/b/logs.jsonl')), ['kept']);
    } finally {
      await collector.kill();
    }
  });
});
