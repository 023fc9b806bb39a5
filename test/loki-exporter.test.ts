/**
 * The Loki exporter against the Loki test server: both encodings decoded back to what was sent,
 * Loki's status codes read as Loki means them, tenants, auth headers and the label guard.
 */
import assert from 'node:assert/strict';
import { Telemetry, createMemoryLogger, type Exporter, type Extension, type Host, type HttpPushClient } from '@sluice/core';
import {
  decodeLogsProtoLazily,
  encodeLogsProto,
  newLogRecord,
  wireBytesOf,
  type AnyValue,
  type LogRecord,
  type LogsData,
} from '@sluice/pdata';
import { createLokiClient, lokiExporterFactory, pushPost } from '@sluice/loki';
import { makeTestCerts } from './support/certs';
import { tempDir } from './support/collector';
import { startLokiTestServer, type LokiTestServer } from './support/loki/server';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

function logs(resource: Record<string, AnyValue>, records: Array<Partial<LogRecord>>): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value })), droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { name: 'checkout', version: '2.1.0', attributes: [], droppedAttributesCount: 0 },
            logRecords: records.map((r) => newLogRecord(r)),
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

function attrs(values: Record<string, AnyValue>) {
  return Object.entries(values).map(([key, value]) => ({ key, value }));
}

function hostWith(extensions: Record<string, Extension> = {}): Host {
  return { getExtension: (id) => extensions[id], getExporters: () => new Map() };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const fastRetries = { initial_interval: '5ms', max_interval: '20ms', randomization_factor: 0 };

describe('Loki exporter → Loki test server', () => {
  let server: LokiTestServer;
  let exporter: Exporter | undefined;
  let telemetry: Telemetry;
  let logger: ReturnType<typeof createMemoryLogger>;

  beforeEach(async () => {
    server = await startLokiTestServer();
    telemetry = new Telemetry();
    logger = createMemoryLogger();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await server.close();
  });

  async function startExporter(config: Record<string, unknown>, host = hostWith()): Promise<Exporter> {
    const parsed = lokiExporterFactory.configSchema.parse({
      endpoint: server.pushUrl,
      tenant_id: 'team-a',
      retry_on_failure: fastRetries,
      ...config,
    });
    exporter = lokiExporterFactory.create({ id: 'loki', kind: 'exporter', logger, telemetry }, parsed);
    await exporter.start(host);
    return exporter;
  }

  for (const encoding of [{ encoding: 'protobuf' }, { encoding: 'json' }, { encoding: 'json', compression: 'none' }]) {
    it(`delivers every line with its labels, structured metadata and json line (${JSON.stringify(encoding)})`, async () => {
      await startExporter({ ...encoding, labels: { attributes: { 'http.route': 'route' } } });
      const t = nowNs();
      await exporter!.consume(
        logs({ 'service.name': 'checkout', 'deployment.environment.name': 'prod', 'host.name': 'h1' }, [
          {
            timeUnixNano: t + 2n,
            body: 'paid ✓',
            severityText: 'INFO',
            severityNumber: 9,
            traceId: TRACE,
            spanId: SPAN,
            attributes: attrs({ 'http.route': '/pay', user: 'u1' }),
          },
          { timeUnixNano: t + 1n, body: 'cart', severityNumber: 17, attributes: attrs({ 'http.route': '/cart' }) },
        ]),
        {},
      );
      await until(() => server.entries().length === 2);
      const wantedContentType = encoding.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
      assert.equal(server.requestLog[0]!.contentType, wantedContentType);
      assert.equal(server.requestLog[0]!.contentEncoding, encoding.encoding === 'json' && !encoding.compression ? 'gzip' : undefined);
      const [paid] = server.query({ service_name: 'checkout', route: '/pay' }, { tenant: 'team-a', metadata: { trace_id: TRACE } });
      assert.ok(paid, 'found by label and structured metadata');
      assert.deepEqual(paid.labels, { service_name: 'checkout', deployment_environment_name: 'prod', route: '/pay' });
      assert.equal(paid.timestampNs, t + 2n);
      assert.deepEqual(paid.metadata, {
        trace_id: TRACE,
        span_id: SPAN,
        severity_text: 'INFO',
        severity_number: '9',
        detected_level: 'info',
      });
      assert.deepEqual(JSON.parse(paid.line), {
        body: 'paid ✓',
        traceid: TRACE,
        spanid: SPAN,
        severity: 'INFO',
        attributes: { user: 'u1' },
        resources: { 'service.name': 'checkout', 'deployment.environment.name': 'prod', 'host.name': 'h1' },
        instrumentation_scope: { name: 'checkout', version: '2.1.0' },
      });
      const [cart] = server.query({ route: '/cart' });
      assert.equal(cart!.metadata.detected_level, 'error');
    });
  }

  it("drops a batch Loki refuses with 400 after one attempt, counting it with Loki's reason", async () => {
    await startExporter({});
    await exporter!.consume(logs({ 'service.name': 'a' }, [{ timeUnixNano: 1_000_000_000n, body: 'ancient' }]), {});
    await until(() => exporter!.health!().entries_dropped === 1);
    assert.equal(server.requests, 1);
    assert.match(exporter!.health!().last_error ?? '', /400: entry for stream '\{service_name="a"\}' has timestamp too old/);
    assert.equal(server.entries().length, 0);
  });

  it('retries 429 and 500 until Loki takes the batch', async () => {
    await startExporter({});
    await server.fail('429', { times: 1 });
    await exporter!.consume(logs({ 'service.name': 'a' }, [{ timeUnixNano: nowNs(), body: 'eventually' }]), {});
    await until(() => server.entries().length === 1);
    assert.deepEqual(
      server.requestLog.map((r) => r.status),
      [429, 204],
    );
    await server.fail('500', { times: 2 });
    await exporter!.consume(logs({ 'service.name': 'a' }, [{ timeUnixNano: nowNs(), body: 'again' }]), {});
    await until(() => server.entries().length === 2);
    assert.deepEqual(
      server.requestLog.map((r) => r.status),
      [429, 204, 500, 500, 204],
    );
    // Loki stores the entries before its 204 reaches the exporter, which counts the batch then.
    await until(() => exporter!.health!().entries_sent >= 2);
    assert.equal(exporter!.health!().entries_sent, 2);
  });

  it('delivers every line intact while queued fragments and sent pushes reuse memory: concurrent batches, retries', async () => {
    await startExporter({
      format: 'raw',
      sending_queue: { num_consumers: 4, batch: { sizer: 'bytes', min_size: 16384, max_size: 65536, flush_timeout: '5ms' } },
    });
    const t = nowNs();
    const sent: string[] = [];
    // ~3 MB of lines: more than one of the arena's chunks, so memory given back is cut again.
    for (let i = 0; i < 300; i++) {
      // Retried pushes must still carry their own bytes after later requests took memory from the arena.
      if (i % 25 === 0) await server.fail('500', { times: 1 });
      const records = Array.from({ length: 5 }, (_, j) => ({
        timeUnixNano: t + BigInt(i * 5 + j),
        body: `request ${i} record ${j} ${String(i).repeat(2000 / String(i).length)}`,
      }));
      sent.push(...records.map((r) => r.body));
      // As a receiver hands it on: the request's bytes, which the exporter transcodes into its arena.
      const request = decodeLogsProtoLazily(encodeLogsProto(logs({ 'service.name': 'arena' }, records))).logs;
      assert.ok(wireBytesOf(request));
      await exporter!.consume(request, {});
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const settled = () => {
      const health = exporter!.health!();
      return health.entries_sent + health.entries_dropped + health.entries_failed;
    };
    await until(() => settled() >= sent.length);
    assert.equal(exporter!.health!().entries_sent, sent.length, 'every entry sent, none dropped as unreadable');
    assert.deepEqual(
      server
        .entries()
        .map((e) => e.line)
        .sort(),
      sent.sort(),
    );
    assert.ok(server.requestLog.filter((r) => r.status === 500).length >= 10, 'retries happened');
  });

  it('splits above max_request_bytes, and a retry resends only the parts Loki has not taken', async () => {
    await startExporter({ max_request_bytes: 2048, format: 'raw' });
    const t = nowNs();
    const records = Array.from({ length: 40 }, (_, i) => ({ timeUnixNano: t + BigInt(i), body: `line ${i} ${'x'.repeat(200)}` }));
    await server.fail('500', { after: 1, times: 1 });
    await exporter!.consume(logs({ 'service.name': 'a' }, records), {});
    await until(() => server.entries().length >= 40);
    await until(() => exporter!.health!().entries_sent === 40);
    const lines = server.entries().map((e) => e.line);
    assert.deepEqual(
      lines,
      records.map((r) => r.body),
      'every line once, in order',
    );
    assert.ok(server.requests > 3, `${server.requests} requests`);
    assert.equal(server.requestLog.filter((r) => r.status === 500).length, 1);
  });

  for (const format of ['raw', 'json']) {
    it(`keeps every JSON push body within max_request_bytes when a batch joins many requests (format ${format})`, async () => {
      const bodies: number[] = [];
      const own = await startLokiTestServer({ onPush: (push) => bodies.push(push.wireBytes) });
      try {
        const parsed = lokiExporterFactory.configSchema.parse({
          endpoint: own.pushUrl,
          tenant_id: 'team-a',
          encoding: 'json',
          compression: 'none',
          format,
          max_request_bytes: 2048,
          sending_queue: { batch: { flush_timeout: '50ms' } },
        });
        exporter = lokiExporterFactory.create({ id: 'loki', kind: 'exporter', logger, telemetry }, parsed);
        await exporter.start(hostWith());
        const t = nowNs();
        // Requests of varied sizes, so some push is filled to within a few bytes of the cap.
        for (let i = 0; i < 200; i++) {
          const body = `request "${i}" ${'z'.repeat(20 + ((i * 37) % 90))}`;
          await exporter.consume(logs({ 'service.name': 'a' }, [{ timeUnixNano: t + BigInt(i), body }]), {});
        }
        await until(() => own.acceptedEntries >= 200);
        assert.ok(bodies.length > 1, `${bodies.length} pushes`);
        const largest = Math.max(...bodies);
        assert.ok(largest <= 2048, `a push body of ${largest} bytes, max_request_bytes 2048`);
      } finally {
        await exporter?.shutdown();
        exporter = undefined;
        await own.close();
      }
    });
  }

  for (const encoding of [{ encoding: 'protobuf' }, { encoding: 'json', compression: 'none' }]) {
    it(`keeps a push of multi-byte or escaped lines within max_request_bytes (${JSON.stringify(encoding)})`, async () => {
      const bodies: number[] = [];
      const own = await startLokiTestServer({ onPush: (push) => bodies.push(push.wireBytes) });
      try {
        const parsed = lokiExporterFactory.configSchema.parse({
          endpoint: own.pushUrl,
          tenant_id: 'team-a',
          ...encoding,
          max_request_bytes: 4096,
          sending_queue: { batch: { min_size: 0 } },
        });
        exporter = lokiExporterFactory.create({ id: 'loki', kind: 'exporter', logger, telemetry }, parsed);
        await exporter.start(hostWith());
        const t = nowNs();
        // 3 UTF-8 bytes a character, and (format json) quotes escaped again by a JSON push.
        // Scattered characters, so snappy barely shrinks a protobuf push either.
        const cjk = (i: number) =>
          Array.from({ length: 100 }, (_, k) => String.fromCharCode(0x4e00 + ((i * 7919 + k * 104729) % 20000))).join('');
        const records = Array.from({ length: 40 }, (_, i) => ({ timeUnixNano: t + BigInt(i), body: `日志 "${i}" ${cjk(i)}` }));
        await exporter.consume(logs({ 'service.name': 'a' }, records), {});
        await until(() => own.acceptedEntries >= 40);
        const largest = Math.max(...bodies);
        assert.ok(largest <= 4096, `a push body of ${largest} bytes, max_request_bytes 4096`);
      } finally {
        await exporter?.shutdown();
        exporter = undefined;
        await own.close();
      }
    });
  }

  it('a push Loki refused for good stays counted as dropped when a later push of the same batch is retried', async () => {
    // Two requests batched together, too big for one push: the first is refused (400, too old), the second is retried once.
    await startExporter({ max_request_bytes: 2048, format: 'raw', sending_queue: { batch: { flush_timeout: '50ms' } } });
    const ancient = Array.from({ length: 5 }, (_, i) => ({
      timeUnixNano: 1_000_000_000n + BigInt(i),
      body: `old ${i} ${'x'.repeat(200)}`,
    }));
    const t = nowNs();
    const fresh = Array.from({ length: 5 }, (_, i) => ({ timeUnixNano: t + BigInt(i), body: `new ${i} ${'y'.repeat(200)}` }));
    await server.fail('500', { after: 1, times: 1 });
    await exporter!.consume(logs({ 'service.name': 'a' }, ancient), {});
    await exporter!.consume(logs({ 'service.name': 'a' }, fresh), {});
    await until(() => exporter!.health!().entries_sent + exporter!.health!().entries_dropped >= 5);
    assert.deepEqual(
      server.requestLog.map((r) => r.status),
      [400, 500, 204],
    );
    assert.equal(server.entries().length, 5);
    const health = exporter!.health!();
    assert.equal(health.entries_sent, 5, 'only the records Loki took count as sent');
    assert.equal(health.entries_dropped, 5, "the records of the refused push are dropped, with Loki's reason");
    assert.ok(
      logger.lines.some((l) => l.message === 'the destination accepted a batch only in part'),
      'the refusal is logged',
    );
  });

  it('sends one request per tenant (loki.tenant hint)', async () => {
    await startExporter({ format: 'raw' });
    await exporter!.consume(
      logs({ 'service.name': 'a', 'loki.tenant': 'org' }, [
        { timeUnixNano: nowNs(), body: 'for b', attributes: attrs({ org: 'team-b' }) },
        { timeUnixNano: nowNs(), body: 'for c', attributes: attrs({ org: 'team-c' }) },
      ]),
      {},
    );
    await until(() => server.entries().length === 2);
    assert.deepEqual(
      server.entries('team-b').map((e) => e.line),
      ['for b'],
    );
    assert.deepEqual(
      server.entries('team-c').map((e) => e.line),
      ['for c'],
    );
    assert.deepEqual(server.requestLog.map((r) => r.tenant).sort(), ['team-b', 'team-c']);
  });

  it("adds headers and the client authenticator's headers to every request", async () => {
    let token = 'one';
    const auth = { start: async () => {}, shutdown: async () => {}, headers: () => ({ authorization: `Bearer ${token}` }) };
    await startExporter({ headers: { 'x-extra': 'yes' }, auth: { authenticator: 'bearertokenauth' } }, hostWith({ bearertokenauth: auth }));
    await exporter!.consume(logs({ 'service.name': 'a' }, [{ timeUnixNano: nowNs(), body: '1' }]), {});
    await until(() => server.entries().length === 1);
    token = 'two';
    await exporter!.consume(logs({ 'service.name': 'a' }, [{ timeUnixNano: nowNs(), body: '2' }]), {});
    await until(() => server.entries().length === 2);
    assert.deepEqual(
      server.requestLog.map((r) => [r.headers.authorization, r.headers['x-extra']]),
      [
        ['Bearer one', 'yes'],
        ['Bearer two', 'yes'],
      ],
    );
  });

  it('refuses to start when auth.authenticator is not a client authenticator', async () => {
    await assert.rejects(startExporter({ auth: { authenticator: 'missing' } }), /SLUICE_CONFIG_UNDEFINED_COMPONENT: .*"missing"/);
  });

  it('counts label values kept out by the cardinality guard and warns', async () => {
    await startExporter({ labels: { attributes: { user: null }, max_values_per_label: 2 } });
    const users = ['u1', 'u2', 'u3', 'u4'];
    await exporter!.consume(
      logs(
        { 'service.name': 'a' },
        users.map((user) => ({ timeUnixNano: nowNs(), body: user, attributes: attrs({ user }) })),
      ),
      {},
    );
    await until(() => server.entries().length === 4);
    assert.deepEqual(
      server
        .query({ service_name: 'a' })
        .filter((e) => e.labels.user === undefined)
        .map((e) => e.metadata.user),
      ['u3', 'u4'],
    );
    assert.match(await telemetry.scrape(), /sluice_loki_label_values_limited_total\{exporter="loki",label="user"\} 2/);
    assert.equal(logger.lines.filter((l) => l.level === 'warn' && l.fields.label === 'user').length, 1);
  });
});

describe('Loki client status handling', () => {
  let server: LokiTestServer;
  let client: HttpPushClient;
  const body = (tenant = 't') =>
    pushPost(
      Buffer.from(JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [[String(nowNs()), 'x']] }] })),
      'application/json',
      tenant,
    );
  beforeEach(async () => {
    server = await startLokiTestServer();
    client = createLokiClient({ endpoint: server.pushUrl, now: () => Date.parse('2030-01-01T00:00:00Z') });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('204 is ok', async () => {
    assert.deepEqual(await client.post(body()), { ok: true });
  });

  it("400 is permanent, with Loki's reason", async () => {
    await server.fail('400', { message: 'entry for stream \'{a="b"}\' has timestamp too old' });
    assert.deepEqual(await client.post(body()), {
      ok: false,
      retryable: false,
      status: '400',
      reason: 'Loki answered 400: entry for stream \'{a="b"}\' has timestamp too old',
    });
  });

  it('401 (no tenant) is permanent', async () => {
    const outcome = await client.post(body(''));
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.retryable, false);
  });

  it('429 is retryable, with Retry-After in seconds', async () => {
    await server.fail('429', { retryAfter: 3 });
    const outcome = await client.post(body());
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.retryable, true);
    assert.equal(!outcome.ok && outcome.retryAfterMs, 3000);
  });

  it('500 is retryable, with Retry-After as an HTTP date', async () => {
    await server.fail('500', { retryAfter: 'Tue, 01 Jan 2030 00:00:10 GMT' });
    const outcome = await client.post(body());
    assert.equal(!outcome.ok && outcome.retryable, true);
    assert.equal(!outcome.ok && outcome.retryAfterMs, 10_000);
  });

  it('an attempt cut by its timeout is retryable (Loki may still have stored it: the at-least-once duplicate)', async () => {
    await server.fail('slow', { delayMs: 300, times: 1 });
    const outcome = await client.post(body(), AbortSignal.timeout(30));
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.retryable, true);
    await until(() => server.entries().length === 1);
  });

  it('a refused connection is retryable', async () => {
    await server.fail('down');
    const outcome = await client.post(body());
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.retryable, true);
    assert.match(!outcome.ok ? outcome.reason : '', /cannot reach Loki .*ECONNREFUSED/);
    await server.recover();
    assert.deepEqual(await client.post(body()), { ok: true });
  });
});

describe('Loki client over TLS', () => {
  let server: LokiTestServer | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  const clients: HttpPushClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await server?.close();
    await dir?.cleanup();
  });

  it('trusts the configured CA and presents the client certificate (mTLS)', async () => {
    dir = await tempDir('sluice-loki-tls-');
    const certs = makeTestCerts(dir.dir);
    server = await startLokiTestServer({ tls: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.caCert } });
    assert.match(server.pushUrl, /^https:/);
    const push = (tls: Record<string, string>) => {
      const client = createLokiClient({
        endpoint: server!.pushUrl,
        tls: lokiExporterFactory.configSchema.parse({ endpoint: server!.pushUrl, tls }).tls,
      });
      clients.push(client);
      return client.post(
        pushPost(
          Buffer.from(JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [[String(nowNs()), 'secret']] }] })),
          'application/json',
          't',
        ),
      );
    };
    assert.deepEqual(await push({ ca_file: certs.caCert, cert_file: certs.clientCert, key_file: certs.clientKey }), { ok: true });
    const untrusted = await push({ cert_file: certs.clientCert, key_file: certs.clientKey });
    assert.equal(untrusted.ok, false, 'the server certificate is not trusted without ca_file');
    const anonymous = await push({ ca_file: certs.caCert });
    assert.equal(anonymous.ok, false, 'the server requires a client certificate');
    assert.deepEqual(
      server.entries().map((e) => e.line),
      ['secret'],
    );
  });
});
