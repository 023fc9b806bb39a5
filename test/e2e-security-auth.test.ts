import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitFor } from './support/collector';
import { exportOnce } from './support/otlp';

const OLD_TOKEN = 'old-secret-token-4f1c2b';
const NEW_TOKEN = 'new-secret-token-9a7e31';

/** Every error text a client was shown, to check that no token leaks into one. */
const responses: string[] = [];

/** exportOnce, keeping the error text the client was shown. */
async function exportShown(exporter: LogRecordExporter, body: string): Promise<ExportResult> {
  const result = await exportOnce(exporter, body);
  const error = result.error as (Error & { data?: string }) | undefined; // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion -- the OTLP exporters put the response body in `data`
  if (error) responses.push(error.message, String(error.data ?? ''));
  return result;
}

function errorCode(result: ExportResult): unknown {
  return (result.error as { code?: unknown } | undefined)?.code;
}

/**
 * Bearer-token auth on both protocols, with the token in a file that rotates. The official
 * exporters express every case they can (headers / metadata, a token in the URL); raw requests
 * check what they do not show (the WWW-Authenticate header, the status body).
 */
describe('receiver security: bearer token auth on gRPC and HTTP', function () {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let ctx: Awaited<ReturnType<typeof startTestCollector>>;
  let tokenFile: string;
  let jsonl: string;
  const exporters: LogRecordExporter[] = [];

  const grpcExporter = (authorization?: string) => {
    const metadata = new grpc.Metadata();
    if (authorization) metadata.set('authorization', authorization);
    const exporter = new GrpcExporter({ url: `http://${ctx.collector.endpoints['otlp/grpc']}`, metadata });
    exporters.push(exporter);
    return exporter;
  };
  const protoExporter = (authorization?: string, query = '') => {
    const exporter = new ProtoExporter({
      url: `http://${ctx.collector.endpoints['otlp/http']}/v1/logs${query}`,
      headers: authorization ? { Authorization: authorization } : {},
    });
    exporters.push(exporter);
    return exporter;
  };
  const rawPost = async (headers: Record<string, string>, query = '') => {
    const res = await fetch(`http://${ctx.collector.endpoints['otlp/http']}/v1/logs${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'raw' } }] }] }] }),
    });
    const text = await res.text();
    responses.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, text, challenge: res.headers.get('www-authenticate') };
  };
  const delivered = async () => flatten(await readJsonlLogs(jsonl)).map((r) => r.record.body);

  before(async function () {
    tmp = await tempDir();
    tokenFile = join(tmp.dir, 'token');
    jsonl = join(tmp.dir, 'out.jsonl');
    await writeFile(tokenFile, `${OLD_TOKEN}\n`);
    ctx = await startTestCollector(`
extensions:
  bearertokenauth:
    filename: ${tokenFile}
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0, auth: { authenticator: bearertokenauth } }
      http: { endpoint: 127.0.0.1:0, auth: { authenticator: bearertokenauth } }
exporters:
  jsonl: { path: ${jsonl} }
service:
  extensions: [bearertokenauth]
  telemetry: { metrics: { level: none }, logs: { level: debug } }
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl] }
`);
  });

  after(async () => {
    await Promise.all(exporters.map((e) => e.shutdown()));
    await ctx?.collector.shutdown();
    await tmp?.cleanup();
  });

  describe('gRPC (exporter-logs-otlp-grpc with metadata)', function () {
    it('refuses a request without a token with UNAUTHENTICATED', async () => {
      const result = await exportShown(grpcExporter(), 'grpc no token');
      assert.equal(errorCode(result), grpc.status.UNAUTHENTICATED);
      assert.match(String(result.error?.message), /missing Authorization header/);
    });

    it('refuses a wrong token and a wrong scheme with UNAUTHENTICATED', async () => {
      const wrong = await exportShown(grpcExporter('Bearer not-the-token'), 'grpc wrong token');
      assert.equal(errorCode(wrong), grpc.status.UNAUTHENTICATED);
      assert.match(String(wrong.error?.message), /not valid/);
      const scheme = await exportShown(grpcExporter(`Basic ${OLD_TOKEN}`), 'grpc wrong scheme');
      assert.equal(errorCode(scheme), grpc.status.UNAUTHENTICATED);
      assert.match(String(scheme.error?.message), /must use the Bearer scheme/);
    });

    it('accepts the right token', async () => {
      const result = await exportShown(grpcExporter(`Bearer ${OLD_TOKEN}`), 'grpc right token');
      assert.equal(result.error, undefined);
      await waitFor(async () => ((await delivered()).includes('grpc right token') ? true : undefined), 5000, 'the gRPC record');
    });
  });

  describe('HTTP (exporter-logs-otlp-proto with headers)', function () {
    it('refuses a request without a token with 401 and a WWW-Authenticate challenge', async () => {
      const result = await exportShown(protoExporter(), 'http no token');
      assert.equal(errorCode(result), 401);
      const raw = await rawPost({});
      assert.equal(raw.status, 401);
      assert.equal(raw.challenge, 'Bearer realm="sluice"');
      assert.deepEqual(JSON.parse(raw.text), { code: 16, message: 'missing Authorization header' });
    });

    it('refuses a wrong token and a wrong scheme with 401', async () => {
      assert.equal(errorCode(await exportShown(protoExporter('Bearer not-the-token'), 'http wrong token')), 401);
      assert.equal(errorCode(await exportShown(protoExporter(`Basic ${OLD_TOKEN}`), 'http wrong scheme')), 401);
      const raw = await rawPost({ authorization: 'Bearer not-the-token' });
      assert.equal(raw.status, 401);
      assert.equal(raw.challenge, 'Bearer realm="sluice", error="invalid_token"');
      assert.equal((await rawPost({ authorization: `Token ${OLD_TOKEN}` })).status, 401);
    });

    it('refuses a token in the URL query string, even a valid one', async () => {
      const result = await exportShown(protoExporter(undefined, `?access_token=${OLD_TOKEN}`), 'http token in query');
      assert.equal(errorCode(result), 400);
      const raw = await rawPost({ authorization: `Bearer ${OLD_TOKEN}` }, `?token=${OLD_TOKEN}`);
      assert.equal(raw.status, 400);
      assert.match(raw.text, /credentials in the URL query string are refused/);
    });

    it('accepts the right token', async () => {
      const result = await exportShown(protoExporter(`Bearer ${OLD_TOKEN}`), 'http right token');
      assert.equal(result.error, undefined);
      await waitFor(async () => ((await delivered()).includes('http right token') ? true : undefined), 5000, 'the HTTP record');
    });
  });

  describe('a rotated token file', function () {
    it('refuses the old token and accepts the new one on both protocols once the file changes', async function () {
      await writeFile(tokenFile, `${NEW_TOKEN}\n`);
      // The extension polls the file; wait until the old token stops working.
      await waitFor(
        async () => ((await rawPost({ authorization: `Bearer ${OLD_TOKEN}` })).status === 401 ? true : undefined),
        8000,
        'the rotated token',
      );
      assert.equal(errorCode(await exportShown(grpcExporter(`Bearer ${OLD_TOKEN}`), 'grpc old token')), grpc.status.UNAUTHENTICATED);
      assert.equal(errorCode(await exportShown(protoExporter(`Bearer ${OLD_TOKEN}`), 'http old token')), 401);
      assert.equal((await exportShown(grpcExporter(`Bearer ${NEW_TOKEN}`), 'grpc new token')).error, undefined);
      assert.equal((await exportShown(protoExporter(`Bearer ${NEW_TOKEN}`), 'http new token')).error, undefined);
      await waitFor(
        async () => {
          const bodies = await delivered();
          return bodies.includes('grpc new token') && bodies.includes('http new token') ? bodies : undefined;
        },
        5000,
        'the records sent with the new token',
      );
      const bodies = await delivered();
      for (const refused of [
        'grpc no token',
        'grpc wrong token',
        'grpc wrong scheme',
        'http no token',
        'http wrong token',
        'http token in query',
        'grpc old token',
        'http old token',
      ]) {
        assert.ok(!bodies.includes(refused), `"${refused}" must not have been accepted`);
      }
    });
  });

  describe('secrets (runs last: it reads everything the cases above produced)', function () {
    it('never writes a token, right or wrong, to the log or to a response', () => {
      const log = JSON.stringify(ctx.logger.lines);
      assert.match(log, /bearer token file changed/, 'the log was captured (the rotation is logged)');
      for (const secret of [OLD_TOKEN, NEW_TOKEN, 'not-the-token']) {
        assert.ok(!log.includes(secret), `the collector log contains ${secret}`);
        assert.ok(!responses.some((r) => r.includes(secret)), `a response contains ${secret}`);
      }
    });
  });
});
