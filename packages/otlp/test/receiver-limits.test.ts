import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Telemetry, createMemoryLogger, type Host, type LogsConsumer, type ServerAuthenticator } from '@sluice/core';
import { ConsumeError, encodeLogsJson, encodeLogsProto, newLogRecord, type ClientContext, type LogsData } from '@sluice/pdata';
import { decodeExportResponseJson, decodeExportResponseProto, otlpReceiverFactory, otlpReceiverSchema } from '../src';

class RecordingConsumer implements LogsConsumer {
  received: LogsData[] = [];
  refuseWith: Error | undefined;
  consume(logs: LogsData, _context: ClientContext): Promise<void> {
    if (this.refuseWith) return Promise.reject(this.refuseWith);
    this.received.push(logs);
    return Promise.resolve();
  }
}

const host: Host = { getExtension: () => undefined, getExporters: () => new Map() };

function logsOf(count: number): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: Array.from({ length: count }, (_, i) => newLogRecord({ body: `r${i}` })),
          },
        ],
      },
    ],
  };
}

async function startReceiver(protocols: Record<string, unknown>, receiverHost: Host = host) {
  const next = new RecordingConsumer();
  const endpoints: Record<string, string> = {};
  const telemetry = new Telemetry();
  const receiver = otlpReceiverFactory.create(
    {
      id: 'otlp',
      kind: 'receiver',
      logger: createMemoryLogger(),
      telemetry,
      onListening: (label, address) => (endpoints[label] = address),
    },
    otlpReceiverSchema.parse({ protocols }),
    next,
  );
  await receiver.start(receiverHost);
  return { receiver, next, endpoints, telemetry };
}

function connect(address: string): Promise<net.Socket> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(address.slice(colon + 1)), address.slice(0, colon), () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent once it closes the connection. */
function closed(socket: net.Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('otlp receiver limits', function () {
  describe('HTTP slow clients', function () {
    let ctx: Awaited<ReturnType<typeof startReceiver>>;
    beforeEach(async () => {
      ctx = await startReceiver({ http: { endpoint: '127.0.0.1:0', read_header_timeout: '200ms', read_timeout: '400ms' } });
    });
    afterEach(() => ctx.receiver.shutdown());

    it('cuts a client that trickles its headers', async () => {
      const socket = await connect(ctx.endpoints['otlp/http']!);
      const done = closed(socket);
      socket.write('POST /v1/logs HTTP/1.1\r\nHost: x\r\n');
      // One header byte at a time, forever: the header timeout must end it.
      const trickle = setInterval(() => socket.writable && socket.write('X'), 50);
      try {
        const answer = await done;
        assert.match(answer, /^HTTP\/1\.1 408/, 'the server answered 408 Request Timeout and closed');
      } finally {
        clearInterval(trickle);
      }
    });

    it('cuts a client that trickles its body', async () => {
      const socket = await connect(ctx.endpoints['otlp/http']!);
      const done = closed(socket);
      socket.write('POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
      const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
      try {
        await done;
      } finally {
        clearInterval(trickle);
      }
      assert.equal(ctx.next.received.length, 0);
    });
  });

  describe('HTTP max_request_body_size with Content-Length', function () {
    const LIMIT = 32 * 1024;
    let ctx: Awaited<ReturnType<typeof startReceiver>>;
    let url: string;
    beforeEach(async () => {
      ctx = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: LIMIT, read_timeout: '400ms' } });
      url = `http://${ctx.endpoints['otlp/http']}/v1/logs`;
    });
    afterEach(() => ctx.receiver.shutdown());

    /**
     * Oversized POSTs from a child process that, like a client on a busy machine, is slow to read
     * the answer: it blocks its event loop right after sending. A server that closed on the 413
     * with the body unread would reset the connection, and the reset throws away the unread 413.
     */
    function slowReaderPosts(client: 'node:http' | 'fetch', count: number, size: number): Promise<(number | string)[]> {
      const script = `
        const http = require('node:http');
        const [url, client, count, size] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
        const body = Buffer.alloc(size, 0x41);
        const block = () => { const until = Date.now() + 100; while (Date.now() < until); };
        function viaHttp() {
          return new Promise((resolve) => {
            const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf', 'content-length': size } }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            });
            req.on('error', (err) => resolve(err.code || err.message));
            req.end(body);
            setImmediate(block);
          });
        }
        function viaFetch() {
          const answer = fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body }).then(
            async (res) => (await res.arrayBuffer(), res.status),
            (err) => (err.cause && err.cause.code) || String(err.cause || err),
          );
          setTimeout(block, 5);
          return answer;
        }
        (async () => {
          const results = [];
          for (let i = 0; i < count; i++) results.push(await (client === 'fetch' ? viaFetch() : viaHttp()));
          process.stdout.write(JSON.stringify(results));
        })();`;
      return new Promise((resolve, reject) => {
        execFile(process.execPath, ['-e', script, url, client, String(count), String(size)], { timeout: 50_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as (number | string)[]),
        );
      });
    }

    it('answers 413 to every oversized POST, even to a client slow to read it (node:http and fetch)', async function () {
      this.timeout(60_000);
      // Several times the limit: closing on the 413 would reset the connection with the body unread.
      const results = [...(await slowReaderPosts('node:http', 10, 3 * LIMIT)), ...(await slowReaderPosts('fetch', 10, 3 * LIMIT))];
      assert.deepEqual(results, Array(20).fill(413));
      assert.equal(ctx.next.received.length, 0);
      // The refused bodies were read to their end: the server still serves.
      const ok = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeLogsProto(logsOf(1)),
      });
      assert.equal(ok.status, 200);
    });

    it('cuts a refused body that goes on past its bound in bytes', async () => {
      const socket = await connect(ctx.endpoints['otlp/http']!);
      const done = closed(socket);
      let sent = 0;
      socket.write(`POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${1000 * LIMIT}\r\n\r\n`);
      const chunk = Buffer.alloc(LIMIT, 0x41);
      const pump = () => {
        while (socket.writable && sent < 1000 * LIMIT) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
      const answer = await done;
      assert.match(answer, /^HTTP\/1\.1 413/);
      assert.ok(sent < 1000 * LIMIT, `the server cut the connection before the whole body (${sent} bytes sent)`);
    });

    it('cuts a refused body that trickles', async () => {
      const socket = await connect(ctx.endpoints['otlp/http']!);
      const done = closed(socket);
      socket.write(`POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${2 * LIMIT}\r\n\r\n`);
      const trickle = setInterval(() => socket.writable && socket.write('A'), 50);
      try {
        assert.match(await done, /^HTTP\/1\.1 413/, 'answered, then closed within the time bound');
      } finally {
        clearInterval(trickle);
      }
    });
  });

  describe('HTTP refusals before the body is read', function () {
    it('cuts the body of an unauthenticated request at the bound instead of reading it all', async () => {
      const LIMIT = 32 * 1024;
      const refuseAll: ServerAuthenticator = {
        start: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
        authenticate: () => ({ ok: false, reason: 'no token', challenge: 'Bearer realm="sluice"' }),
      };
      const ctx = await startReceiver(
        // A long read_timeout: only the discard bound can end this connection in time.
        { http: { endpoint: '127.0.0.1:0', max_request_body_size: LIMIT, read_timeout: '60s', auth: { authenticator: 'auth' } } },
        { getExtension: (id) => (id === 'auth' ? refuseAll : undefined), getExporters: () => new Map() },
      );
      try {
        const socket = await connect(ctx.endpoints['otlp/http']!);
        const done = closed(socket);
        let sent = 0;
        socket.write(
          `POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${1000 * LIMIT}\r\n\r\n`,
        );
        const chunk = Buffer.alloc(LIMIT, 0x41);
        const pump = () => {
          while (socket.writable && sent < 1000 * LIMIT) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        pump();
        assert.match(await done, /^HTTP\/1\.1 401/);
        assert.ok(sent < 1000 * LIMIT, `the server cut the connection before the whole body (${sent} bytes sent)`);
      } finally {
        await ctx.receiver.shutdown();
      }
    });
  });

  describe('HTTP max_request_body_size while streaming', function () {
    it('answers 413 once a chunked body passes the limit, and cuts the connection when the rest does not come', async () => {
      const ctx = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 1024, read_timeout: '400ms' } });
      try {
        const socket = await connect(ctx.endpoints['otlp/http']!);
        const done = closed(socket);
        // Chunked: no Content-Length to refuse up front, so the limit must hold while streaming.
        socket.write('POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = Buffer.alloc(512, 0x41);
        for (let i = 0; i < 4; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`);
        const answer = await done;
        assert.match(answer, /^HTTP\/1\.1 413/);
        assert.match(answer, /exceeds max_request_body_size \(1024 bytes\)/);
        assert.equal(ctx.next.received.length, 0);
      } finally {
        await ctx.receiver.shutdown();
      }
    });
  });

  describe('gRPC max_recv_msg_size_mib', function () {
    it('refuses a larger message with RESOURCE_EXHAUSTED and keeps serving', async () => {
      const ctx = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 0.01 } });
      const client = new grpc.Client(ctx.endpoints['otlp/grpc']!, grpc.credentials.createInsecure());
      const call = (body: Uint8Array) =>
        new Promise<grpc.ServiceError | null>((resolve) =>
          client.makeUnaryRequest(
            '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(body),
            (err) => resolve(err),
          ),
        );
      try {
        const big = encodeLogsProto(logsOf(2000));
        assert.ok(big.length > 0.01 * 1024 * 1024);
        assert.equal((await call(big))?.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.equal(await call(encodeLogsProto(logsOf(1))), null);
        assert.equal(ctx.next.received.length, 1);
      } finally {
        client.close();
        await ctx.receiver.shutdown();
      }
    });
  });

  describe('partial_success', function () {
    const partialRefusal = () =>
      new ConsumeError('SLUICE_BAD_DATA', '2 records failed validation', { retryable: false, rejectedRecords: 2 });

    it('answers 200 with partial_success over HTTP (protobuf and JSON) when some records were rejected', async () => {
      const ctx = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
      try {
        ctx.next.refuseWith = partialRefusal();
        const url = `http://${ctx.endpoints['otlp/http']}/v1/logs`;
        const proto = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: encodeLogsProto(logsOf(5)),
        });
        assert.equal(proto.status, 200);
        assert.deepEqual(decodeExportResponseProto(new Uint8Array(await proto.arrayBuffer())), {
          rejectedLogRecords: 2,
          errorMessage: 'SLUICE_BAD_DATA: 2 records failed validation',
        });
        const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeLogsJson(logsOf(5)) });
        assert.equal(json.status, 200);
        assert.equal(decodeExportResponseJson(await json.text())?.rejectedLogRecords, 2);
        const metrics = await ctx.telemetry.scrape();
        assert.match(metrics, /otelcol_receiver_accepted_log_records_total\{receiver="otlp",transport="http"\} 6/);
        assert.match(metrics, /otelcol_receiver_refused_log_records_total\{receiver="otlp",transport="http"\} 4/);
        // Rejecting every record is not a partial success.
        ctx.next.refuseWith = partialRefusal();
        const all = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeLogsJson(logsOf(2)) });
        assert.equal(all.status, 400);
      } finally {
        await ctx.receiver.shutdown();
      }
    });

    it('answers OK with partial_success over gRPC', async () => {
      const ctx = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
      const client = new grpc.Client(ctx.endpoints['otlp/grpc']!, grpc.credentials.createInsecure());
      try {
        ctx.next.refuseWith = partialRefusal();
        const response = await new Promise<Buffer>((resolve, reject) =>
          client.makeUnaryRequest(
            '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(encodeLogsProto(logsOf(3))),
            (err, value) => (err ? reject(err) : resolve(value!)),
          ),
        );
        assert.deepEqual(decodeExportResponseProto(response), {
          rejectedLogRecords: 2,
          errorMessage: 'SLUICE_BAD_DATA: 2 records failed validation',
        });
      } finally {
        client.close();
        await ctx.receiver.shutdown();
      }
    });
  });

  describe('CORS', function () {
    let ctx: Awaited<ReturnType<typeof startReceiver>>;
    let url: string;
    before(async () => {
      ctx = await startReceiver({
        http: {
          endpoint: '127.0.0.1:0',
          cors: { allowed_origins: ['https://app.example.com', 'https://*.example.org'], allowed_headers: ['X-Tenant'], max_age: 600 },
        },
      });
      url = `http://${ctx.endpoints['otlp/http']}/v1/logs`;
    });
    after(() => ctx.receiver.shutdown());

    it('answers a preflight from an allowed origin with the allowed method and headers', async () => {
      const res = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://a.example.org',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-tenant',
        },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://a.example.org');
      assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type.*x-tenant/);
      assert.equal(res.headers.get('access-control-max-age'), '600');
    });

    it('gives no CORS headers to an origin that is not allowed', async () => {
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      assert.notEqual(preflight.status, 204);
      const simple = await fetch(url, {
        method: 'POST',
        headers: { origin: 'https://evil.example.net', 'content-type': 'application/json' },
        body: encodeLogsJson(logsOf(1)),
      });
      assert.equal(simple.headers.get('access-control-allow-origin'), null, 'the browser will not let the page read the answer');
    });

    it('decorates a simple request from an allowed origin', async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { origin: 'https://app.example.com', 'content-type': 'application/json' },
        body: encodeLogsJson(logsOf(1)),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.equal(res.headers.get('vary'), 'Origin');
    });
  });
});
