import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { builtinComponents } from '@sluice/collector';
import { loadConfigText } from '@sluice/core';
import { FILE_ADMIN_DEFAULT_ENDPOINT } from '@sluice/file';
import { decodeLogsJson, newLogRecord, type LogsData } from '@sluice/pdata';
import { flatten, readJsonlLogs, startTestCollector, tempDir } from './support/collector';
import { postOtlpHttp } from './support/otlp';

const TOKEN = 'file-admin-secret-7d2e';

function config(dir: string, options: { auth?: boolean } = {}): string {
  return `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  jsonl:
    path: ${join(dir, 'telemetry/{attributes.server}/logs.jsonl')}
extensions:
  file_admin:
    endpoint: 127.0.0.1:0
${options.auth ? '    auth: { authenticator: bearertokenauth }\n  bearertokenauth:\n    token: ' + TOKEN + '\n' : ''}service:
  extensions: [${options.auth ? 'bearertokenauth, ' : ''}file_admin]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [jsonl]
`;
}

/** One batch of three records for `server`, each body `<server>:<batch>:<i>`. */
function batch(server: string, n: number): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: [0, 1, 2].map((i) => newLogRecord({ body: `${server}:${n}:${i}`, attributes: [{ key: 'server', value: server }] })),
          },
        ],
      },
    ],
  };
}

/** Batch numbers (each with all three records) in a server's file. */
async function batchesIn(dir: string, server: string): Promise<number[]> {
  const counts = new Map<number, number>();
  for (const { record } of flatten(await readJsonlLogs(join(dir, 'telemetry', server, 'logs.jsonl')))) {
    const n = Number((record.body as string).split(':')[1]);
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  for (const [n, count] of counts) assert.equal(count, 3, `batch ${n} of ${server} is whole`);
  return [...counts.keys()].sort((a, b) => a - b);
}

/** The batch number of the first line of a server's file (which may still be written to). */
async function firstBatch(dir: string, server: string): Promise<number> {
  const text = await readFile(join(dir, 'telemetry', server, 'logs.jsonl'), 'utf8');
  const [record] = flatten([decodeLogsJson(text.slice(0, text.indexOf('\n')))]);
  return Number((record!.record.body as string).split(':')[1]);
}

describe('file_admin extension', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('wipes through the running exporter while records flow: nothing after the wipe is lost, nothing before survives', async () => {
    const { collector } = await startTestCollector(config(tmp.dir));
    const admin = `http://${collector.endpoints.file_admin}`;
    const receiver = collector.endpoints['otlp/http']!;
    // Per server: the last batch acknowledged, and a sender that keeps going until told to stop.
    const acked: Record<string, number> = { a: -1, b: -1 };
    let running = true;
    const sender = async (server: string) => {
      for (let n = 0; running; n++) {
        const res = await postOtlpHttp(receiver, batch(server, n));
        assert.equal(res.status, 200, res.text);
        acked[server] = n;
      }
    };
    const senders = Promise.all([sender('a'), sender('b')]);
    const ackedAtLeast = async (floor: Record<string, number>) => {
      while (acked.a! < floor.a! || acked.b! < floor.b!) await new Promise((r) => setTimeout(r, 5));
    };
    const wipe = async (query: string) => {
      const before = { ...acked };
      const res = await fetch(`${admin}/files${query}`, { method: 'DELETE' });
      assert.equal(res.status, 200, await res.clone().text());
      const after = { a: acked.a! + 2, b: acked.b! + 2 };
      return { before, after, removed: ((await res.json()) as { removed: number }).removed };
    };
    try {
      await ackedAtLeast({ a: 10, b: 10 });
      const first = await wipe('?server=a');
      assert.equal(first.removed, 1);
      await ackedAtLeast({ a: first.after.a + 10, b: first.after.b + 10 });
      // Only server a was wiped: b still starts with its first batch.
      assert.ok((await firstBatch(tmp.dir, 'a')) > first.before.a!);
      assert.equal(await firstBatch(tmp.dir, 'b'), 0);
      const second = await wipe('?signal=logs');
      assert.equal(second.removed, 2);
      await ackedAtLeast({ a: second.after.a + 10, b: second.after.b + 10 });
      running = false;
      await senders;

      const a = await batchesIn(tmp.dir, 'a');
      const b = await batchesIn(tmp.dir, 'b');
      for (const [server, kept, wiped] of [
        ['a', a, second],
        ['b', b, second],
      ] as const) {
        assert.ok(kept[0]! > wiped.before[server]!, `${server}: batch ${kept[0]} from before the wipe survived`);
        // Every batch from the one sent after the wipe answered to the last one is there, once.
        const expected = [];
        for (let n = wiped.after[server]; n <= acked[server]!; n++) expected.push(n);
        assert.deepEqual(
          kept.filter((n) => n >= wiped.after[server]),
          expected,
        );
      }
    } finally {
      running = false;
      await senders.catch(() => undefined);
      await collector.shutdown();
    }
  });

  it('lists the files as `sluice files list --json` does and refuses an unknown signal with its catalogue status', async () => {
    const { collector } = await startTestCollector(config(tmp.dir));
    try {
      const admin = `http://${collector.endpoints.file_admin}`;
      assert.equal((await postOtlpHttp(collector.endpoints['otlp/http']!, batch('a', 0))).status, 200);
      const res = await fetch(`${admin}/files?server=a`);
      assert.equal(res.status, 200);
      const rows = (await res.json()) as Array<Record<string, unknown>>;
      assert.deepEqual(
        rows.map((r) => [r.exporter, r.server, r.signal, r.path, r.file_count]),
        [['jsonl', 'a', 'logs', join(tmp.dir, 'telemetry/a/logs.jsonl'), 1]],
      );
      assert.deepEqual(await (await fetch(`${admin}/files?server=nobody`)).json(), []);

      const unknown = await fetch(`${admin}/files?signal=spans`, { method: 'DELETE' });
      assert.equal(unknown.status, 400);
      const body = (await unknown.json()) as { code: string; error: string };
      assert.equal(body.code, 'SLUICE_UNKNOWN_SIGNAL');
      assert.match(body.error, /unknown signal "spans"/);
      assert.equal((await fetch(`${admin}/files`, { method: 'PUT' })).status, 405);
      assert.equal((await fetch(`${admin}/other`)).status, 404);
      // A missing directory is a successful no-op.
      const none = await fetch(`${admin}/files/wipe?server=nobody`, { method: 'POST' });
      assert.deepEqual([none.status, await none.json()], [200, { removed: 0 }]);
    } finally {
      await collector.shutdown();
    }
  });

  it('behind bearertokenauth: 401 without a token and with a wrong one, 200 with the right one', async () => {
    const { collector } = await startTestCollector(config(tmp.dir, { auth: true }));
    try {
      const url = `http://${collector.endpoints.file_admin}/files`;
      const without = await fetch(url, { method: 'DELETE' });
      assert.equal(without.status, 401);
      assert.match(without.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      assert.match(((await without.json()) as { error: string }).error, /missing Authorization header/);
      const wrong = await fetch(url, { headers: { Authorization: 'Bearer not-the-token' } });
      assert.equal(wrong.status, 401);
      assert.doesNotMatch(await wrong.text(), new RegExp(TOKEN));
      const right = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
      assert.equal(right.status, 200);
      assert.deepEqual(await right.json(), []);
    } finally {
      await collector.shutdown();
    }
  });

  it("refuses a browser page's cross-site request: a simple POST needs no preflight and would wipe with no auth configured", async () => {
    const { collector } = await startTestCollector(config(tmp.dir));
    try {
      const admin = `http://${collector.endpoints.file_admin}`;
      assert.equal((await postOtlpHttp(collector.endpoints['otlp/http']!, batch('a', 0))).status, 200);
      // What a form or `fetch(url, { method: 'POST', mode: 'no-cors' })` on any web page sends to 127.0.0.1.
      const headers = { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' };
      const wipe = await fetch(`${admin}/files/wipe`, { method: 'POST', headers, body: 'x' });
      assert.equal(wipe.status, 403);
      assert.deepEqual(await batchesIn(tmp.dir, 'a'), [0], 'nothing was wiped');
      const list = await fetch(`${admin}/files`, { headers: { Origin: 'https://evil.example' } });
      assert.equal(list.status, 403);
    } finally {
      await collector.shutdown();
    }
  });

  it('is off unless configured, binds 127.0.0.1 by default, and its authenticator is checked at validation', () => {
    const registry = builtinComponents();
    const minimal = (extensions: string, list: string) => `receivers:
  otlp:
    protocols:
      http:
exporters:
  jsonl:
    path: ./x.jsonl
extensions:
${extensions}
service:
  extensions: [${list}]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [jsonl]
`;
    const loaded = loadConfigText(minimal('  file_admin:', 'file_admin'), registry);
    assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
    assert.equal(FILE_ADMIN_DEFAULT_ENDPOINT, '127.0.0.1:13134');
    assert.equal((loaded.config.extensions.get('file_admin')!.config as { endpoint: string }).endpoint, '127.0.0.1:13134');

    const unstarted = loadConfigText(minimal('  file_admin:\n    auth: { authenticator: bearertokenauth }', 'file_admin'), registry);
    assert.equal(unstarted.config, undefined);
    const problem = unstarted.diagnostics.find((d) => d.severity === 'error')!;
    assert.equal(problem.code, 'SLUICE_CONFIG_UNDEFINED_COMPONENT');
    assert.equal(problem.path, 'extensions.file_admin.auth.authenticator');
  });
});
