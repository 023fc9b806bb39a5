/**
 * The `otlp` (gRPC) exporter against a scripted grpc-js server: what it sends, and how it reads
 * each status code as the OTLP spec says (retry or drop), with nothing lost on the way.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Exporter, Extension } from '@sluice/core';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeLogsProto } from '@sluice/pdata';
import { otlpExporterFactory } from '../src/index';
import { hostWith, makeLogs, metric, startGrpcServer, testSettings, until, type GrpcReply } from './support/exporter-servers';

const fastRetries = { initial_interval: '10ms', max_interval: '20ms', randomization_factor: 0 };

describe('otlp exporter (gRPC)', () => {
  let server: Awaited<ReturnType<typeof startGrpcServer>> | undefined;
  let exporter: Exporter | undefined;

  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    server?.close();
    server = undefined;
  });

  async function start(script: GrpcReply[], extra: Record<string, unknown> = {}, extensions: Record<string, Extension> = {}) {
    server = await startGrpcServer(script);
    const { settings, logger, telemetry } = testSettings('otlp/test');
    const config = otlpExporterFactory.configSchema.parse({
      endpoint: server.address,
      tls: { insecure: true },
      retry_on_failure: fastRetries,
      ...extra,
    });
    exporter = otlpExporterFactory.create(settings, config);
    await exporter.start(hostWith(extensions));
    return { server, exporter, logger, telemetry };
  }

  const retryLogs = (logger: ReturnType<typeof testSettings>['logger']) =>
    logger.lines.filter((l) => l.message === 'send failed; will retry');

  it('sends the batch with configured headers and the authenticator headers as call metadata', async () => {
    const authenticator = { start: async () => {}, shutdown: async () => {}, headers: () => ({ Authorization: 'Bearer s3cret' }) };
    const { server, exporter, telemetry } = await start(
      [{ ok: true }],
      { headers: { 'x-tenant': 'blue' }, auth: { authenticator: 'bearertokenauth' } },
      { bearertokenauth: authenticator },
    );
    const logs = makeLogs(1);
    await exporter.consume(logs, {});
    await until(() => server.requests.length === 1, 'one request');
    assert.deepEqual(server.requests[0]!.logs, logs);
    assert.equal(server.requests[0]!.metadata['x-tenant'], 'blue');
    assert.equal(server.requests[0]!.metadata['authorization'], 'Bearer s3cret');
    await until(() => exporter.health!().entries_sent === 2, 'sent counted');
    assert.equal(await metric(telemetry, 'otelcol_exporter_sent_log_records_total', { exporter: 'otlp/test' }), 2);
  });

  // grpc-js hides the message framing from handlers, so a bare HTTP/2 server looks at the wire.
  for (const [compression, expected] of [
    [undefined, 'gzip'],
    ['none', undefined],
  ] as const) {
    it(`frames the message ${expected ?? 'uncompressed'} with compression: ${compression ?? '(default)'}`, async () => {
      const wire = await startBareGrpcServer();
      try {
        const { settings } = testSettings('otlp/test');
        const config = otlpExporterFactory.configSchema.parse({
          endpoint: wire.address,
          tls: { insecure: true },
          ...(compression ? { compression } : {}),
        });
        exporter = otlpExporterFactory.create(settings, config);
        await exporter.start(hostWith());
        const logs = makeLogs(1);
        await exporter.consume(logs, {});
        await until(() => exporter!.health!().entries_sent === 2, 'sent');
        const [request] = wire.requests;
        assert.equal(request!.encoding, expected);
        assert.equal(request!.compressedFlag, expected ? 1 : 0);
        assert.deepEqual(decodeLogsProto(expected ? gunzipSync(request!.message) : request!.message), logs);
      } finally {
        await exporter?.shutdown();
        exporter = undefined;
        await wire.close();
      }
    });
  }

  it('refuses to start when auth.authenticator is not a client authenticator', async () => {
    server = await startGrpcServer([{ ok: true }]);
    const { settings } = testSettings('otlp/test');
    const config = otlpExporterFactory.configSchema.parse({
      endpoint: server.address,
      tls: { insecure: true },
      auth: { authenticator: 'nope' },
    });
    exporter = otlpExporterFactory.create(settings, config);
    await assert.rejects(
      exporter.start(hostWith()),
      (err: Error) => err.message.startsWith('SLUICE_CONFIG_UNDEFINED_COMPONENT') && err.message.includes('"nope"'),
    );
  });

  const retryable: Array<[string, grpc.status]> = [
    ['UNAVAILABLE', grpc.status.UNAVAILABLE],
    ['ABORTED', grpc.status.ABORTED],
    ['CANCELLED', grpc.status.CANCELLED],
    ['DEADLINE_EXCEEDED', grpc.status.DEADLINE_EXCEEDED],
    ['OUT_OF_RANGE', grpc.status.OUT_OF_RANGE],
    ['DATA_LOSS', grpc.status.DATA_LOSS],
  ];
  for (const [name, code] of retryable) {
    it(`retries ${name} until the server recovers, losing nothing`, async () => {
      const script: GrpcReply[] = [{ code, message: 'stalled' }, { code, message: 'stalled' }, { ok: true }];
      const { server, exporter, logger } = await start(script);
      const logs = makeLogs(7);
      await exporter.consume(logs, {});
      await until(() => exporter.health!().entries_sent === 2, 'delivery after retries');
      assert.equal(server.requests.length, 3);
      for (const request of server.requests) assert.deepEqual(request.logs, logs);
      assert.equal(retryLogs(logger).length, 2);
      assert.equal(retryLogs(logger)[0]!.fields.status, name);
    });
  }

  it('retries RESOURCE_EXHAUSTED with RetryInfo after the delay the server asked for', async () => {
    const { server, exporter, logger } = await start([
      { code: grpc.status.RESOURCE_EXHAUSTED, message: 'slow down', retryDelayMs: 40 },
      { ok: true },
    ]);
    await exporter.consume(makeLogs(2), {});
    await until(() => exporter.health!().entries_sent === 2, 'delivery after RetryInfo delay');
    assert.equal(server.requests.length, 2);
    // The backoff alone would wait 10ms; the server's RetryInfo said 40ms.
    assert.equal(retryLogs(logger)[0]!.fields.retry_in_ms, 40);
  });

  const permanent: Array<[string, grpc.status]> = [
    ['RESOURCE_EXHAUSTED without RetryInfo', grpc.status.RESOURCE_EXHAUSTED],
    ['INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT],
    ['UNAUTHENTICATED', grpc.status.UNAUTHENTICATED],
    ['PERMISSION_DENIED', grpc.status.PERMISSION_DENIED],
    ['UNIMPLEMENTED', grpc.status.UNIMPLEMENTED],
    ['INTERNAL', grpc.status.INTERNAL],
  ];
  for (const [name, code] of permanent) {
    it(`drops the batch on ${name}: sent once, counted, logged with the server's reason`, async () => {
      // The script would accept a second attempt: only a retry could make the data arrive.
      const { server, exporter, logger, telemetry } = await start([{ code, message: `refused: ${name}` }, { ok: true }]);
      await exporter.consume(makeLogs(3), {});
      await until(() => exporter.health!().entries_dropped === 2, 'drop counted');
      assert.equal(server.requests.length, 1);
      assert.equal(await metric(telemetry, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'otlp/test' }), 2);
      assert.equal(
        await metric(telemetry, 'sluice_exporter_dropped_log_records_total', { exporter: 'otlp/test', reason: 'permanent_error' }),
        2,
      );
      const error = logger.lines.find((l) => l.message === 'dropping log records the destination refused permanently');
      assert.ok(error, 'the drop is logged');
      assert.match(String(error.fields.reason), new RegExp(`refused: ${name}`));
    });
  }

  it('counts the records a partial_success rejected, and does not retry them', async () => {
    const { server, exporter, telemetry } = await start([
      { ok: true, partial: { rejectedLogRecords: 1, errorMessage: 'one record too old' } },
    ]);
    await exporter.consume(makeLogs(4), {});
    await until(() => exporter.health!().entries_dropped === 1, 'partial success counted');
    assert.equal(server.requests.length, 1);
    assert.equal(exporter.health!().entries_sent, 1);
    assert.equal(exporter.health!().last_error, 'one record too old');
    assert.equal(
      await metric(telemetry, 'sluice_exporter_dropped_log_records_total', { exporter: 'otlp/test', reason: 'partial_success' }),
      1,
    );
  });

  it('ends a call that gets no answer at the per-attempt timeout, and sends it again', async () => {
    const { server, exporter, logger } = await start([{ hang: true }, { ok: true }], { timeout: '300ms' });
    const logs = makeLogs(5);
    await exporter.consume(logs, {});
    await until(() => exporter.health!().entries_sent === 2, 'delivery after a timeout');
    assert.deepEqual(server.requests.at(-1)!.logs, logs);
    // On a busy machine the answered attempt may time out too, and be sent once more: every retry is a timeout.
    const retries = retryLogs(logger);
    assert.ok(retries.length >= 1);
    for (const retry of retries) assert.equal(retry.fields.reason, 'timed out after 300ms');
  });

  it('keeps retrying while the server is down and delivers once it is up on the same port', async () => {
    const probe = await startGrpcServer([{ ok: true }]);
    const address = probe.address;
    probe.close();
    const { settings, logger } = testSettings('otlp/test');
    exporter = otlpExporterFactory.create(
      settings,
      otlpExporterFactory.configSchema.parse({ endpoint: address, tls: { insecure: true }, retry_on_failure: fastRetries }),
    );
    await exporter.start(hostWith());
    const logs = makeLogs(6);
    await exporter.consume(logs, {});
    await until(() => retryLogs(logger).length >= 2, 'retries while down');
    assert.equal(retryLogs(logger)[0]!.fields.status, 'UNAVAILABLE');

    const port = Number(address.split(':')[1]);
    server = await startGrpcServer([{ ok: true }], port);
    await until(() => exporter!.health!().entries_sent === 2, 'delivery after the server came up');
    assert.deepEqual(server.requests[0]!.logs, logs);
  });
});

/** Answers every unary call OK with an empty response, and keeps each request's encoding header and 5-byte-framed message. */
async function startBareGrpcServer() {
  const requests: Array<{ encoding: string | undefined; compressedFlag: number; message: Buffer }> = [];
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const frame = Buffer.concat(chunks);
      const encoding = headers['grpc-encoding'];
      requests.push({
        encoding: typeof encoding === 'string' ? encoding : undefined,
        compressedFlag: frame[0]!,
        message: frame.subarray(5, 5 + frame.readUInt32BE(1)),
      });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
