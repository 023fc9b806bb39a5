import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { deflateSync, gzipSync } from 'node:zlib';
import { Telemetry, createMemoryLogger, type Host, type LogsConsumer } from '@sluice/core';
import {
  encodeLogsJson,
  encodeLogsProto,
  newLogRecord,
  permanentError,
  retryableError,
  type ClientContext,
  type LogsData,
} from '@sluice/pdata';
import { decodeExportResponseJson, otlpReceiverFactory, otlpReceiverSchema } from '../src';
import { OtlpHttpServer } from '../src/receiver/http';

/** A pipeline stand-in: records what it accepts, or refuses as told. */
class RecordingConsumer implements LogsConsumer {
  received: Array<{ logs: LogsData; context: ClientContext }> = [];
  refuseWith: Error | undefined;
  consume(logs: LogsData, context: ClientContext): Promise<void> {
    if (this.refuseWith) return Promise.reject(this.refuseWith);
    this.received.push({ logs, context });
    return Promise.resolve();
  }
}

const host: Host = { getExtension: () => undefined, getExporters: () => new Map() };

function sampleLogs(body = 'hello'): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'svc' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: [newLogRecord({ body, timeUnixNano: 1n })],
          },
        ],
      },
    ],
  };
}

async function startReceiver(protocols: Record<string, unknown>) {
  const next = new RecordingConsumer();
  const endpoints: Record<string, string> = {};
  const telemetry = new Telemetry();
  const config = otlpReceiverSchema.parse({ protocols });
  const receiver = otlpReceiverFactory.create(
    {
      id: 'otlp',
      kind: 'receiver',
      logger: createMemoryLogger(),
      telemetry,
      onListening: (label, address) => (endpoints[label] = address),
    },
    config,
    next,
  );
  await receiver.start(host);
  return { receiver, next, endpoints, telemetry };
}

describe('otlp receiver', function () {
  describe('HTTP', function () {
    let ctx: Awaited<ReturnType<typeof startReceiver>>;
    let url: string;
    beforeEach(async () => {
      ctx = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 64 * 1024, include_metadata: true } });
      url = `http://${ctx.endpoints['otlp/http']}/v1/logs`;
    });
    afterEach(() => ctx.receiver.shutdown());

    it('accepts protobuf and answers in protobuf', async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'x-tenant': 'acme' },
        body: encodeLogsProto(sampleLogs()),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
      assert.equal(ctx.next.received.length, 1);
      assert.equal(ctx.next.received[0]!.logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body, 'hello');
      assert.deepEqual(ctx.next.received[0]!.context.metadata?.['x-tenant'], ['acme'], 'include_metadata carries headers');
      assert.equal(ctx.next.received[0]!.context.address, '127.0.0.1');
    });

    it('accepts gzip-compressed JSON and answers in JSON', async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(encodeLogsJson(sampleLogs('zipped'))),
      });
      assert.equal(res.status, 200);
      assert.equal(decodeExportResponseJson(await res.text()), undefined, 'no partial success');
      assert.equal(ctx.next.received[0]!.logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body, 'zipped');
    });

    it('accepts deflate-compressed protobuf, as the 415 for other encodings says', async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'deflate' },
        body: deflateSync(encodeLogsProto(sampleLogs('deflated'))),
      });
      assert.equal(res.status, 200);
      assert.equal(ctx.next.received[0]!.logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body, 'deflated');
    });

    it('accepts an empty request', async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(0) });
      assert.equal(res.status, 200);
      assert.equal(ctx.next.received.length, 0);
    });

    it('answers malformed bodies with 400 and a reason, in the request encoding', async () => {
      const proto = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array([0x0a, 0xff, 0xff, 0x01]),
      });
      assert.equal(proto.status, 400);
      const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs": [' });
      assert.equal(json.status, 400);
      const status = (await json.json()) as { code: number; message: string };
      assert.equal(status.code, 3);
      assert.match(status.message, /SLUICE_BAD_DATA/);
      assert.equal(ctx.next.received.length, 0);
    });

    it('refuses unknown paths, methods, content types and encodings', async () => {
      assert.equal((await fetch(url.replace('/v1/logs', '/v1/traces'), { method: 'POST' })).status, 404);
      const get = await fetch(url);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status, 415);
      const br = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: 'x' });
      assert.equal(br.status, 415);
      assert.match(((await br.json()) as { message: string }).message, /use gzip, deflate or none$/);
    });

    it('refuses bodies over max_request_body_size with 413, before and after decompression', async () => {
      const big = new Uint8Array(100 * 1024);
      assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: big })).status, 413);
      const bomb = gzipSync(Buffer.alloc(1024 * 1024));
      assert.ok(bomb.length < 64 * 1024, 'the compressed body itself is under the limit');
      assert.equal(
        (
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
            body: bomb,
          })
        ).status,
        413,
      );
      assert.equal(ctx.next.received.length, 0);
    });

    it('maps a retryable refusal to 429/503 with Retry-After, a permanent one to 400', async () => {
      ctx.next.refuseWith = retryableError('SLUICE_QUEUE_FULL', 'queue full', 2500);
      const full = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeLogsProto(sampleLogs()),
      });
      assert.equal(full.status, 429);
      assert.equal(full.headers.get('retry-after'), '3');
      ctx.next.refuseWith = retryableError('SLUICE_EXPORT_REFUSED', 'disk full');
      assert.equal(
        (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeLogsProto(sampleLogs()) }))
          .status,
        503,
      );
      ctx.next.refuseWith = permanentError('SLUICE_BAD_DATA', 'nope');
      assert.equal(
        (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeLogsProto(sampleLogs()) }))
          .status,
        400,
      );
      const metrics = await ctx.telemetry.scrape();
      assert.match(metrics, /otelcol_receiver_refused_log_records_total\{receiver="otlp",transport="http"\} 3/);
    });

    it('maps a bug (an error that is not a refusal) to 500, an operating-system error to a retryable 503', async () => {
      const post = () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeLogsProto(sampleLogs()) });
      ctx.next.refuseWith = new TypeError('cannot read properties of undefined');
      const bug = await post();
      assert.equal(bug.status, 500);
      assert.match(await bug.text(), /SLUICE_INTERNAL: TypeError: cannot read/);
      ctx.next.refuseWith = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      assert.equal((await post()).status, 503);
      assert.match(await ctx.telemetry.scrape(), /otelcol_receiver_refused_log_records_total\{receiver="otlp",transport="http"\} 2/);
    });
  });

  describe('gRPC', function () {
    it('maps decode errors to INVALID_ARGUMENT, refusals to RESOURCE_EXHAUSTED with retry info, bugs to INTERNAL', async () => {
      const ctx = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
      const client = new grpc.Client(ctx.endpoints['otlp/grpc']!, grpc.credentials.createInsecure());
      const call = (body: Uint8Array) =>
        new Promise<{ err: grpc.ServiceError | null }>((resolve) => {
          client.makeUnaryRequest(
            '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(body),
            (err) => resolve({ err }),
          );
        });
      try {
        assert.equal((await call(encodeLogsProto(sampleLogs()))).err, null);
        assert.equal(ctx.next.received.length, 1);
        const bad = await call(new Uint8Array([0x0a, 0x05, 0x01]));
        assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
        assert.match(bad.err.details, /SLUICE_BAD_DATA/);
        ctx.next.refuseWith = retryableError('SLUICE_QUEUE_FULL', 'queue full');
        const full = await call(encodeLogsProto(sampleLogs()));
        assert.equal(full.err?.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.ok(full.err.metadata.get('grpc-status-details-bin').length > 0, 'RetryInfo travels in grpc-status-details-bin');
        ctx.next.refuseWith = new TypeError('cannot read properties of undefined');
        const bug = await call(encodeLogsProto(sampleLogs()));
        assert.equal(bug.err?.code, grpc.status.INTERNAL);
        assert.match(bug.err.details, /SLUICE_INTERNAL: TypeError/);
      } finally {
        client.close();
        await ctx.receiver.shutdown();
      }
    });
  });

  it('a failure of the receiver itself is logged and answered 500, never left unhandled', async () => {
    const logger = createMemoryLogger();
    const failingMetrics = {
      accepted: () => {
        throw new TypeError('metrics broke');
      },
      refused: () => {},
    };
    const config = otlpReceiverSchema.parse({ protocols: { http: { endpoint: '127.0.0.1:0' } } }).protocols.http!;
    const server = new OtlpHttpServer(config, new RecordingConsumer(), failingMetrics, logger, undefined);
    const address = await server.start('127.0.0.1', 0);
    try {
      const res = await fetch(`http://${address}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeLogsProto(sampleLogs()),
      });
      assert.equal(res.status, 500);
      assert.match(await res.text(), /SLUICE_INTERNAL/);
      const logged = logger.lines.filter((l) => l.level === 'error');
      assert.equal(logged.length, 1);
      assert.match(String(logged[0]!.fields.error), /TypeError: metrics broke/);
    } finally {
      await server.shutdown();
    }
  });

  it('needs at least one protocol', () => {
    assert.throws(() => otlpReceiverSchema.parse({ protocols: {} }), /at least one protocol/);
  });
});
