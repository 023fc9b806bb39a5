/**
 * The Loki test server enforces Loki's push rules with Loki's status codes and messages, and
 * decodes both wire formats. Requests here are hand-built with the same undici client a real
 * pusher would use, so these tests do not depend on the exporter under test.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { parseLabelString } from './support/loki/labels';
import { startLokiTestServer, type AcceptedPush, type LokiTestServer, type LokiTestServerOptions } from './support/loki/server';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- snappyjs ships no type declarations to import by
const snappyCompress = (require('snappyjs') as { compress: (input: Uint8Array) => Uint8Array }).compress;

const NOW_MS = 1_700_000_000_000;
const nowNs = (offsetMs = 0) => String(BigInt(NOW_MS + offsetMs) * 1_000_000n);

/** A protobuf field of short content (one-byte length), written by hand: these tests do not use the exporter's encoder. */
const field = (tag: number, ...content: Uint8Array[]): Buffer => {
  const body = Buffer.concat(content);
  assert.ok(body.length < 0x80);
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
};
const protoEntry = (offsetSeconds: number, line: Uint8Array, pairs: Array<[Uint8Array, Uint8Array]> = []) =>
  field(
    0x12,
    field(0x0a, Buffer.from([0x08, 0x80 + offsetSeconds, 0xe2, 0xcf, 0xaa, 0x06])), // seconds: NOW_MS / 1000 + offsetSeconds
    field(0x12, line),
    ...pairs.map(([name, value]) => field(0x1a, field(0x0a, name), field(0x12, value))),
  );
const protoPush = (...entries: Buffer[]) => field(0x0a, field(0x0a, Buffer.from('{a="b"}')), ...entries);

async function pushJson(server: LokiTestServer, body: unknown, headers: Record<string, string> = { 'x-scope-orgid': 't1' }) {
  const res = await request(server.pushUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
}

describe('Loki test server', () => {
  let server: LokiTestServer;
  const start = async (options: LokiTestServerOptions = {}) => {
    server = await startLokiTestServer({ now: () => NOW_MS, ...options });
  };
  afterEach(() => server?.close());

  it('stores JSON pushes with structured metadata and answers 204', async () => {
    await start();
    const res = await pushJson(server, {
      streams: [
        {
          stream: { service_name: 'a' },
          values: [
            [nowNs(), 'hello', { trace_id: 'abc' }],
            [nowNs(1), 'two'],
          ],
        },
      ],
    });
    assert.equal(res.status, 204);
    assert.deepEqual(
      server.entries('t1').map((e) => [e.labels, e.line, e.metadata]),
      [
        [{ service_name: 'a' }, 'hello', { trace_id: 'abc' }],
        [{ service_name: 'a' }, 'two', {}],
      ],
    );
    assert.equal(server.query({ service_name: 'a' }, { metadata: { trace_id: 'abc' } }).length, 1);
  });

  it('answers query_range with | json as Loki parses lines: nested keys joined by _, _extracted on a clash', async () => {
    await start();
    const line = (session: string) => JSON.stringify({ body: 'x', app: 'dup', attributes: { session_id: session, 'http.method': 'GET' } });
    await pushJson(server, {
      streams: [
        {
          stream: { app: 'p' },
          values: [
            [nowNs(), line('s1')],
            [nowNs(1), line('s2')],
            [nowNs(2), 'not json'],
          ],
        },
      ],
    });
    const query = async (logql: string) => {
      const params = new URLSearchParams({ query: logql, start: '0', end: nowNs(10) });
      const res = await request(`${server.url}/loki/api/v1/query_range?${params.toString()}`, { headers: { 'x-scope-orgid': 't1' } });
      const body = (await res.body.json()) as { data: { result: Array<{ values: string[][] }> } };
      return body.data.result.flatMap((stream) => stream.values.map((value) => value[1]));
    };
    assert.deepEqual(await query('{app="p"} | json | attributes_session_id="s1"'), [line('s1')]);
    assert.deepEqual(await query('{app="p"} | json | attributes_http_method="GET" | app_extracted="dup"'), [line('s1'), line('s2')]);
    assert.deepEqual(await query('{app="p"} | attributes_session_id="s1"'), [], 'without | json the line is not parsed');
    assert.deepEqual(await query('{app="p"} | json | __error__="JSONParserErr"'), ['not json']);
  });

  it('accepts gzip Content-Encoding', async () => {
    await start();
    const body = gzipSync(JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [[nowNs(), 'zipped']] }] }));
    const res = await request(server.pushUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-scope-orgid': 't1' },
      body,
    });
    assert.equal(res.statusCode, 204);
    await res.body.dump();
    assert.equal(server.entries()[0]!.line, 'zipped');
  });

  it('requires X-Scope-OrgID unless auth is disabled', async () => {
    await start();
    const body = { streams: [{ stream: { a: 'b' }, values: [[nowNs(), 'x']] }] };
    assert.deepEqual((await pushJson(server, body, {})).status, 401);
    await server.close();
    await start({ authEnabled: false });
    assert.equal((await pushJson(server, body, {})).status, 204);
    assert.equal(server.entries()[0]!.tenant, 'fake');
  });

  const rules: Array<{ name: string; options?: LokiTestServerOptions; stream: Record<string, string>; value: unknown[]; message: RegExp }> =
    [
      {
        name: 'more than 15 label names',
        stream: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`l${i}`, 'v'])),
        value: [nowNs(), 'x'],
        message: /^entry for stream '\{l0="v", .*' has 16 label names; limit 15$/,
      },
      {
        name: 'an invalid label name',
        stream: { 'bad-name': 'v' },
        value: [nowNs(), 'x'],
        message: /^Error parsing labels .* invalid label name "bad-name"$/,
      },
      { name: 'no labels', stream: {}, value: [nowNs(), 'x'], message: /^error at least one label pair is required per stream$/ },
      {
        name: 'a line over max_line_size',
        options: { maxLineSize: 10 },
        stream: { a: 'b' },
        value: [nowNs(), 'x'.repeat(11)],
        message: /^Max entry size '10' bytes exceeded for stream '\{a="b"\}' while adding an entry with length '11' bytes$/,
      },
      {
        name: 'an entry older than reject_old_samples_max_age',
        options: { rejectOldSamplesMaxAgeMs: 3_600_000 },
        stream: { a: 'b' },
        value: [nowNs(-3_600_001), 'x'],
        message: /^entry for stream '\{a="b"\}' has timestamp too old: .*, oldest acceptable timestamp is: /,
      },
      {
        name: 'structured metadata when disallowed (Loki 2 behaviour)',
        options: { allowStructuredMetadata: false },
        stream: { a: 'b' },
        value: [nowNs(), 'x', { trace_id: '1' }],
        message: /includes structured metadata, but this feature is disallowed/,
      },
    ];
  for (const rule of rules) {
    it(`refuses ${rule.name} with 400 and Loki's message, keeping the valid entries`, async () => {
      await start(rule.options);
      const res = await pushJson(server, {
        streams: [
          { stream: rule.stream, values: [rule.value] },
          { stream: { ok: 'yes' }, values: [[nowNs(), 'kept']] },
        ],
      });
      assert.equal(res.status, 400);
      assert.match(res.text.trim(), rule.message);
      assert.deepEqual(
        server.entries().map((e) => e.line),
        ['kept'],
      );
    });
  }

  it('accepts out-of-order entries within the window and refuses those too far behind', async () => {
    await start({ outOfOrderWindowMs: 1000 });
    assert.equal((await pushJson(server, { streams: [{ stream: { a: 'b' }, values: [[nowNs(0), 'new']] }] })).status, 204);
    assert.equal((await pushJson(server, { streams: [{ stream: { a: 'b' }, values: [[nowNs(-500), 'older']] }] })).status, 204);
    const res = await pushJson(server, { streams: [{ stream: { a: 'b' }, values: [[nowNs(-1500), 'too old']] }] });
    assert.equal(res.status, 400);
    assert.match(res.text, /entry too far behind/);
    assert.deepEqual(
      server.entries().map((e) => e.line),
      ['new', 'older'],
    );
  });

  it('refuses bodies it cannot decode with 400 and unknown content types with 415', async () => {
    await start();
    const bad = await request(server.pushUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'x-scope-orgid': 't' },
      body: 'not snappy',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(await bad.body.text(), /error parsing push request/);
    const xml = await request(server.pushUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', 'x-scope-orgid': 't' },
      body: '<a/>',
    });
    assert.equal(xml.statusCode, 415);
    await xml.body.dump();
  });

  it('fails on cue: 429 with Retry-After for a number of requests, 500, 400, then recovers', async () => {
    await start();
    const body = { streams: [{ stream: { a: 'b' }, values: [[nowNs(), 'x']] }] };
    await server.fail('429', { retryAfter: 7, times: 1 });
    const limited = await pushJson(server, body);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '7');
    assert.equal((await pushJson(server, body)).status, 204, 'times: 1 recovers by itself');
    await server.fail('500');
    assert.equal((await pushJson(server, body)).status, 500);
    await server.fail('400', { message: 'nope' });
    assert.deepEqual(await pushJson(server, body).then((r) => [r.status, r.text.trim()]), [400, 'nope']);
    await server.recover();
    assert.equal((await pushJson(server, body)).status, 204);
    assert.equal(server.entries().length, 2);
    assert.equal(server.requests, 5);
  });

  it("'down' really refuses connections and 'recover' rebinds the same port", async () => {
    await start();
    const body = { streams: [{ stream: { a: 'b' }, values: [[nowNs(), 'x']] }] };
    assert.equal((await pushJson(server, body)).status, 204); // leaves a keep-alive connection open
    await server.fail('down');
    await assert.rejects(pushJson(server, body), (err: Error & { code?: string }) => {
      assert.match(String(err.code), /ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET/);
      return true;
    });
    await server.recover();
    assert.equal((await pushJson(server, body)).status, 204);
    assert.equal(server.entries().length, 2);
  });

  it('checks and counts the same without keeping entries (the bench sink): every string checked, sizes as sent', async () => {
    const text = (value: string) => Buffer.from(value);
    const badUtf8 = Buffer.from([0x61, 0xc3, 0x28]);
    const pushes: Array<{ name: string; body: Buffer; status: number }> = [
      {
        name: 'valid, a metadata name sent twice',
        body: protoPush(
          protoEntry(0, text('héllo'), [
            [text('k'), text('v1')],
            [text('k'), text('v22')],
            [text('trace_id'), text('ab')],
          ]),
          protoEntry(1, text('two')),
        ),
        status: 204,
      },
      { name: 'invalid UTF-8 in a line', body: protoPush(protoEntry(0, badUtf8)), status: 400 },
      { name: 'invalid UTF-8 in a metadata value', body: protoPush(protoEntry(0, text('x'), [[text('k'), badUtf8]])), status: 400 },
      { name: 'invalid UTF-8 in a metadata name', body: protoPush(protoEntry(0, text('x'), [[badUtf8, text('v')]])), status: 400 },
      { name: 'a line over max_line_size', body: protoPush(protoEntry(0, text('x'.repeat(11)))), status: 400 },
      { name: 'a truncated entry', body: protoPush(protoEntry(0, text('x'))).subarray(0, 20), status: 400 },
    ];
    const outcomes = [];
    for (const keepEntries of [true, false]) {
      const accepted: AcceptedPush[] = [];
      await start({ keepEntries, maxLineSize: 10, onPush: (push) => accepted.push(push) });
      const statuses = [];
      for (const push of pushes) {
        const res = await request(server.pushUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'x-scope-orgid': 't1' },
          body: Buffer.from(snappyCompress(push.body)),
        });
        statuses.push([push.name, res.statusCode, (await res.body.text()).trim()]);
      }
      assert.deepEqual(
        statuses.map(([name, status]) => [name, status]),
        pushes.map((push) => [push.name, push.status]),
      );
      // 'héllo' is 6 bytes; the pairs: k+v1, k+v22, trace_id+ab; 'two'.
      assert.deepEqual(
        accepted.map(({ entries, entryBytes }) => ({ entries, entryBytes })),
        [{ entries: 2, entryBytes: 6 + 3 + 4 + 10 + 3 }],
      );
      assert.equal(server.acceptedEntries, 2);
      assert.equal(server.entries().length, keepEntries ? 2 : 0);
      if (keepEntries) assert.deepEqual(server.entries()[0]!.metadata, { k: 'v22', trace_id: 'ab' });
      outcomes.push(statuses);
      await server.close();
    }
    assert.deepEqual(outcomes[1], outcomes[0], 'the same answers, messages included');
  });

  it('keeps what Loki keeps, and counts it, in both modes: a leading BOM, a metadata name `__proto__`, JSON metadata', async () => {
    const bom = Buffer.from('\uFEFFline');
    const proto = protoPush(protoEntry(0, bom, [[Buffer.from('__proto__'), Buffer.from('x')]]));
    const json = { streams: [{ stream: { a: 'b' }, values: [[nowNs(), '\uFEFFline', JSON.parse('{"__proto__":"x"}') as object]] }] };
    for (const allowStructuredMetadata of [true, false]) {
      const outcomes = [];
      for (const keepEntries of [true, false]) {
        const accepted: AcceptedPush[] = [];
        await start({ keepEntries, allowStructuredMetadata, onPush: (push) => accepted.push(push) });
        const protoRes = await request(server.pushUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'x-scope-orgid': 't1' },
          body: Buffer.from(snappyCompress(proto)),
        });
        const answers = [[protoRes.statusCode, (await protoRes.body.text()).trim()]];
        const jsonRes = await pushJson(server, json);
        answers.push([jsonRes.status, jsonRes.text.trim()]);
        outcomes.push(answers);
        if (allowStructuredMetadata) {
          // The BOM's 3 bytes, 'line', and the pair's name and value.
          assert.deepEqual(
            accepted.map(({ entryBytes }) => entryBytes),
            [3 + 4 + 9 + 1, 3 + 4 + 9 + 1],
          );
          if (keepEntries) {
            for (const entry of server.entries('t1')) {
              assert.equal(entry.line, '\uFEFFline');
              assert.deepEqual(Object.entries(entry.metadata), [['__proto__', 'x']]);
            }
          }
        } else
          assert.deepEqual(
            answers.map(([status]) => status),
            [400, 400],
          );
        await server.close();
      }
      assert.deepEqual(outcomes[1], outcomes[0], 'the same answers, messages included');
    }
  });

  it('answers /ready', async () => {
    await start();
    const res = await request(server.url + '/ready');
    assert.equal(res.statusCode, 200);
    assert.equal((await res.body.text()).trim(), 'ready');
  });

  it('parses label strings with escapes, as Loki does', () => {
    assert.deepEqual(parseLabelString('{a="b", c="say \\"hi\\"\\n\\\\"}'), { a: 'b', c: 'say "hi"\n\\' });
    assert.throws(() => parseLabelString('a="b"'), /braces/);
    assert.throws(() => parseLabelString('{a="b", a="c"}'), /duplicate label name "a"/);
    assert.throws(() => parseLabelString('{1a="b"}'), /invalid label name "1a"/);
  });
});
