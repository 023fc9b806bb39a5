/**
 * The `otlphttp` exporter against a scripted HTTP server: where it posts, what it sends, and how
 * it reads each status as the OTLP spec says (retry with Retry-After, or drop with the reason).
 */
import assert from 'node:assert/strict';
import type { Exporter, Extension } from '@sluice/core';
import { decodeLogsProtoLazily, encodeLogsProto, newLogRecord, wireBytesOf, type LogsData } from '@sluice/pdata';
import { otlpHttpExporterFactory } from '../src/index';
import {
  encodeExportResponseJson,
  encodeExportResponseProto,
  encodeStatus,
  hostWith,
  makeLogs,
  metric,
  startHttpServer,
  testSettings,
  until,
  type HttpReply,
} from './support/exporter-servers';

const fastRetries = { initial_interval: '10ms', max_interval: '20ms', randomization_factor: 0 };

describe('otlphttp exporter', () => {
  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  let exporter: Exporter | undefined;

  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await server?.close();
    server = undefined;
  });

  async function start(
    script: HttpReply[],
    config: (url: string) => Record<string, unknown> = (url) => ({ endpoint: url }),
    extensions: Record<string, Extension> = {},
  ) {
    server = await startHttpServer(script);
    const { settings, logger, telemetry } = testSettings('otlphttp/test');
    exporter = otlpHttpExporterFactory.create(
      settings,
      otlpHttpExporterFactory.configSchema.parse({ retry_on_failure: fastRetries, ...config(server.url) }),
    );
    await exporter.start(hostWith(extensions));
    return { server, exporter, logger, telemetry };
  }

  const retryLogs = (logger: ReturnType<typeof testSettings>['logger']) =>
    logger.lines.filter((l) => l.message === 'send failed; will retry');

  it("posts gzip'd protobuf to <endpoint>/v1/logs: Loki 3's /otlp base URL becomes /otlp/v1/logs", async () => {
    const authenticator = { start: async () => {}, shutdown: async () => {}, headers: () => ({ Authorization: 'Bearer s3cret' }) };
    const { server, exporter } = await start(
      [{ status: 200 }],
      (url) => ({ endpoint: `${url}/otlp`, headers: { 'X-Scope-OrgID': 'tenant-a' }, auth: { authenticator: 'bearertokenauth' } }),
      { bearertokenauth: authenticator },
    );
    const logs = makeLogs(1);
    await exporter.consume(logs, {});
    await until(() => exporter.health!().entries_sent === 2, 'sent');
    const [request] = server.requests;
    assert.equal(request!.path, '/otlp/v1/logs');
    assert.equal(request!.headers['content-type'], 'application/x-protobuf');
    assert.equal(request!.headers['content-encoding'], 'gzip');
    assert.equal(request!.headers['x-scope-orgid'], 'tenant-a');
    assert.equal(request!.headers['authorization'], 'Bearer s3cret');
    assert.deepEqual(request!.logs, logs);
  });

  it('posts to logs_endpoint as written, uncompressed JSON when asked', async () => {
    const { server, exporter } = await start([{ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }], (url) => ({
      logs_endpoint: `${url}/custom/path`,
      encoding: 'json',
      compression: 'none',
    }));
    const logs = makeLogs(2);
    await exporter.consume(logs, {});
    await until(() => exporter.health!().entries_sent === 2, 'sent');
    const [request] = server.requests;
    assert.equal(request!.path, '/custom/path');
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.equal(request!.headers['content-encoding'], undefined);
    assert.deepEqual(request!.logs, logs);
  });

  for (const status of [429, 502, 503, 504]) {
    it(`retries ${status} until the server recovers, losing nothing`, async () => {
      const { server, exporter, logger } = await start([{ status, body: 'busy' }, { status, body: 'busy' }, { status: 200 }]);
      const logs = makeLogs(3);
      await exporter.consume(logs, {});
      await until(() => exporter.health!().entries_sent === 2, 'delivery after retries');
      assert.equal(server.requests.length, 3);
      for (const request of server.requests) assert.deepEqual(request.logs, logs);
      assert.equal(retryLogs(logger).length, 2);
      assert.equal(retryLogs(logger)[0]!.fields.status, String(status));
    });
  }

  // Unbatched, every batch is one request: its payload is a view of the request's fragment, which
  // goes back to the arena once the batch is encoded, so the view must keep its memory from reuse.
  const batchings = [
    { name: 'batched', batch: { sizer: 'bytes', min_size: 16384, max_size: 65536, flush_timeout: '5ms' } },
    { name: 'unbatched', batch: { min_size: 0 } },
  ];
  for (const [compression, { name, batch }] of ['gzip', 'none'].flatMap((c) => batchings.map((b) => [c, b] as const))) {
    it(`delivers every record intact while queued requests and sent batches reuse memory: concurrent batches, retries (${compression}, ${name})`, async () => {
      // Every sixth request is refused with a retryable 503: a retry must still carry its own bytes
      // after later requests took the memory its fragments had.
      const script = [...Array.from({ length: 80 }, (_, i) => ({ status: i % 6 === 1 ? 503 : 200 })), { status: 200 }];
      const { server, exporter } = await start(script, (url) => ({
        endpoint: url,
        compression,
        sending_queue: { num_consumers: 4, batch },
      }));
      const bodies = (logs: LogsData) =>
        logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body as string)));
      const sent: string[] = [];
      for (let i = 0; i < 300; i++) {
        const logs: LogsData = makeLogs(i, 0);
        logs.resourceLogs[0]!.scopeLogs[0]!.logRecords = Array.from({ length: 5 }, (_, j) =>
          newLogRecord({ body: `request ${i} record ${j} ${String(i).repeat(2000 / String(i).length)}` }),
        );
        sent.push(...bodies(logs));
        // As a receiver hands it on: the request's bytes, which the exporter forwards from its arena.
        const request = decodeLogsProtoLazily(encodeLogsProto(logs)).logs;
        assert.ok(wireBytesOf(request));
        await exporter.consume(request, {});
        if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await until(() => {
        const health = exporter.health!();
        return health.entries_sent + health.entries_dropped + health.entries_failed >= sent.length;
      }, 'every record settled');
      assert.equal(exporter.health!().entries_sent, sent.length);
      const taken = server.requests.filter((_, i) => (script[i]?.status ?? 200) === 200);
      assert.ok(taken.length < server.requests.length, 'some requests were retried');
      assert.deepEqual(taken.flatMap((r) => bodies(r.logs)).sort(), sent.sort());
    });
  }

  it('waits as long as Retry-After says rather than the backoff', async () => {
    // initial_interval 10s: without Retry-After: 0 taking precedence the delivery would not come within the test.
    const { server, exporter, logger } = await start([{ status: 503, headers: { 'retry-after': '0' } }, { status: 200 }], (url) => ({
      endpoint: url,
      retry_on_failure: { initial_interval: '10s', randomization_factor: 0 },
    }));
    await exporter.consume(makeLogs(4), {});
    await until(() => exporter.health!().entries_sent === 2, 'delivery after Retry-After');
    assert.equal(server.requests.length, 2);
    assert.equal(retryLogs(logger)[0]!.fields.retry_in_ms, 0);
  });

  const permanent: Array<[string, HttpReply, string]> = [
    [
      '400 with a protobuf google.rpc.Status',
      { status: 400, headers: { 'content-type': 'application/x-protobuf' }, body: encodeStatus(3, 'body too old') },
      'body too old',
    ],
    [
      '401 with a JSON google.rpc.Status',
      { status: 401, headers: { 'content-type': 'application/json' }, body: '{"code":16,"message":"bad token"}' },
      'bad token',
    ],
    ['500 with a text body', { status: 500, headers: { 'content-type': 'text/plain' }, body: 'internal oops' }, 'internal oops'],
  ];
  for (const [name, reply, reason] of permanent) {
    it(`drops the batch on ${name}: sent once, counted, logged with the server's reason`, async () => {
      const { server, exporter, logger, telemetry } = await start([reply, { status: 200 }]);
      await exporter.consume(makeLogs(5), {});
      await until(() => exporter.health!().entries_dropped === 2, 'drop counted');
      assert.equal(server.requests.length, 1);
      assert.equal(await metric(telemetry, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'otlphttp/test' }), 2);
      const error = logger.lines.find((l) => l.message === 'dropping log records the destination refused permanently');
      assert.ok(error, 'the drop is logged');
      assert.match(String(error.fields.reason), new RegExp(`answered ${reply.status}: ${reason}$`));
    });
  }

  for (const [name, reply] of [
    ['protobuf', { status: 200, body: encodeExportResponseProto({ rejectedLogRecords: 1, errorMessage: 'one record too old' }) }],
    [
      'JSON',
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: encodeExportResponseJson({ rejectedLogRecords: 1, errorMessage: 'one record too old' }),
      },
    ],
  ] as Array<[string, HttpReply]>) {
    it(`counts the records a ${name} partial_success rejected, and does not retry them`, async () => {
      const { server, exporter, telemetry } = await start([reply]);
      await exporter.consume(makeLogs(6), {});
      await until(() => exporter.health!().entries_dropped === 1, 'partial success counted');
      assert.equal(server.requests.length, 1);
      assert.equal(exporter.health!().entries_sent, 1);
      assert.equal(exporter.health!().last_error, 'one record too old');
      assert.equal(
        await metric(telemetry, 'sluice_exporter_dropped_log_records_total', { exporter: 'otlphttp/test', reason: 'partial_success' }),
        1,
      );
    });
  }

  it('keeps retrying while the server is down and delivers once it is up on the same port', async () => {
    const probe = await startHttpServer([{ status: 200 }]);
    const { url, port } = probe;
    await probe.close();
    const { settings, logger } = testSettings('otlphttp/test');
    exporter = otlpHttpExporterFactory.create(
      settings,
      otlpHttpExporterFactory.configSchema.parse({ endpoint: url, retry_on_failure: fastRetries }),
    );
    await exporter.start(hostWith());
    const logs = makeLogs(7);
    await exporter.consume(logs, {});
    await until(() => retryLogs(logger).length >= 2, 'retries while down');
    assert.match(String(retryLogs(logger)[0]!.fields.reason), /cannot reach .*ECONNREFUSED/);

    server = await startHttpServer([{ status: 200 }], port);
    await until(() => exporter!.health!().entries_sent === 2, 'delivery after the server came up');
    assert.deepEqual(server.requests[0]!.logs, logs);
  });
});
