/**
 * Scripted OTLP servers for the exporter tests: each answers the next reply of its script (the
 * last one repeats) and records every request it got, decoded.
 */
import * as grpc from '@grpc/grpc-js';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Telemetry, createMemoryLogger } from '@sluice/core';
import { newLogRecord } from '@sluice/pdata';
import type { CreateSettings, Extension, Host } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { Writer } from 'protobufjs/minimal';
import { decodeLogsJson, decodeLogsProto } from '@sluice/pdata';
import { encodeExportResponseJson, encodeExportResponseProto } from '../../src/index';
import type { PartialSuccess } from '../../src/index';

export type GrpcReply =
  | { ok: true; partial?: PartialSuccess }
  | { code: grpc.status; message: string; retryDelayMs?: number }
  /** Never answers: the client's deadline must end the call. */
  | { hang: true };

export interface GrpcRequest {
  logs: LogsData;
  metadata: Record<string, string>;
}

/** `port` lets a test bring a server up on the port an exporter is already retrying; `host` another loopback address. */
export async function startGrpcServer(script: GrpcReply[], port = 0, host = '127.0.0.1') {
  const requests: GrpcRequest[] = [];
  const server = new grpc.Server();
  const identity = (bytes: Buffer) => bytes;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const metadata: Record<string, string> = {};
        for (const [key, value] of Object.entries(call.metadata.getMap())) if (typeof value === 'string') metadata[key] = value;
        requests.push({ logs: decodeLogsProto(call.request), metadata });
        const reply = script[Math.min(requests.length, script.length) - 1]!;
        if ('hang' in reply) return;
        if ('ok' in reply) return callback(null, encodeExportResponseProto(reply.partial));
        const trailer = new grpc.Metadata();
        trailer.set('grpc-status-details-bin', encodeStatus(reply.code, reply.message, reply.retryDelayMs));
        callback({ code: reply.code, details: reply.message, metadata: trailer });
      },
    },
  );
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { address: `${host}:${bound}`, port: bound, requests, close: () => server.forceShutdown() };
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpRequest {
  path: string;
  headers: IncomingHttpHeaders;
  logs: LogsData;
}

/** `port` lets a test bring a server up on the port an exporter is already retrying. */
export async function startHttpServer(script: HttpReply[], port = 0) {
  const requests: HttpRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const logs = req.headers['content-type'] === 'application/json' ? decodeLogsJson(body) : decodeLogsProto(body);
      requests.push({ path: req.url ?? '', headers: req.headers, logs });
      const reply = script[Math.min(requests.length, script.length) - 1]!;
      res.writeHead(reply.status, reply.headers ?? { 'content-type': 'application/x-protobuf' });
      res.end(reply.body ?? (reply.status === 200 ? encodeExportResponseProto() : ''));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export { encodeExportResponseJson, encodeExportResponseProto };

/** google.rpc.Status, optionally with a RetryInfo detail, written independently of the code under test. */
export function encodeStatus(code: number, message: string, retryDelayMs?: number): Buffer {
  const status = Writer.create().uint32(8).int32(code).uint32(18).string(message);
  if (retryDelayMs !== undefined) {
    const duration = Writer.create()
      .uint32(8)
      .int64(Math.floor(retryDelayMs / 1000))
      .uint32(16)
      .int32((retryDelayMs % 1000) * 1e6)
      .finish();
    const retryInfo = Writer.create().uint32(10).bytes(duration).finish();
    const any = Writer.create().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').uint32(18).bytes(retryInfo).finish();
    status.uint32(26).bytes(any);
  }
  return Buffer.from(status.finish());
}

export function testSettings(id: string) {
  const logger = createMemoryLogger();
  const telemetry = new Telemetry();
  const settings: CreateSettings = { id, kind: 'exporter', logger, telemetry };
  return { settings, logger, telemetry };
}

export function hostWith(extensions: Record<string, Extension> = {}): Host {
  return { getExtension: (id) => extensions[id], getExporters: () => new Map() };
}

/** A batch whose bodies say which batch they belong to. */
export function makeLogs(batch: number, records = 2): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'checkout' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'scope', version: '1', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: Array.from({ length: records }, (_, i) =>
              newLogRecord({
                body: `batch ${batch} record ${i}`,
                timeUnixNano: 1_700_000_000_123_456_789n + BigInt(i),
                attributes: [{ key: 'n', value: BigInt(i) }],
              }),
            ),
          },
        ],
      },
    ],
  };
}

/** Polls every few milliseconds; a 10s guard turns a hang into a failure. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const giveUp = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The sum of a family's samples with these labels (0 when absent); `sample` picks e.g. a histogram's `_count`. */
export async function metric(telemetry: Telemetry, family: string, labels: Record<string, string>, sample = family): Promise<number> {
  const metrics = await telemetry.registry.getMetricsAsJSON();
  const found = metrics.find((m) => m.name === family);
  const values = (found?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  return values
    .filter((v) => (v.metricName ?? family) === sample && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
