/**
 * The `otlp` (gRPC) and `otlphttp` exporters: the data model encoded with the OTLP codec, sent
 * behind core's sending queue and retries. Protobuf requests are encoded as they are queued and
 * batches join them by concatenation; a batch is compressed once, and retries reuse the bytes.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  ClientAuthHeaders,
  createQueuedExporter,
  joinFragments,
  otlpProtoQueueForm,
  safeEndpoint,
  type CreateSettings,
  type Exporter,
  type ExporterFactory,
  type Host,
  type HttpPost,
} from '@sluice/core';
import { encodeLogsJson, type LogsData } from '@sluice/pdata';
import {
  logsUrl,
  otlpGrpcExporterSchema,
  otlpGrpcExporterUnsupportedKeys,
  otlpHttpExporterSchema,
  otlpHttpExporterUnsupportedKeys,
  type OtlpGrpcExporterConfig,
  type OtlpHttpExporterConfig,
} from './config';
import { OtlpGrpcSender } from './grpc-sender';
import { createOtlpHttpSender } from './http-sender';

const gzipAsync = promisify(gzip);

export const otlpExporterFactory: ExporterFactory<OtlpGrpcExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  aliases: ['otlp_grpc'],
  description: 'Sends logs to an OTLP/gRPC endpoint (another collector, a gateway, a backend)',
  configSchema: otlpGrpcExporterSchema,
  unsupportedKeys: otlpGrpcExporterUnsupportedKeys,
  create: (settings, config) => createOtlpGrpcExporter(settings, config),
};

export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  aliases: ['otlp_http'],
  description: "Sends logs to an OTLP/HTTP endpoint (protobuf or JSON), e.g. Loki 3's native /otlp ingestion",
  configSchema: otlpHttpExporterSchema,
  unsupportedKeys: otlpHttpExporterUnsupportedKeys,
  create: (settings, config) => createOtlpHttpExporter(settings, config),
};

export function createOtlpGrpcExporter(settings: CreateSettings, config: OtlpGrpcExporterConfig): Exporter {
  const auth = new ClientAuthHeaders(settings.id, config.auth);
  const sender = new OtlpGrpcSender({ config, where: `exporters.${settings.id}`, authHeaders: () => auth.headers() });
  return createQueuedExporter<Buffer, Buffer[]>({
    settings,
    config,
    form: otlpProtoQueueForm,
    encode: joinFragments,
    send: (body, signal) => sender.export(body, signal, config.timeout),
    start(host: Host) {
      auth.resolve(host);
      sender.start();
      settings.logger.info('otlp exporter ready', { endpoint: config.endpoint, compression: config.compression });
    },
    shutdown: () => sender.close(),
  });
}

export function createOtlpHttpExporter(settings: CreateSettings, config: OtlpHttpExporterConfig): Exporter {
  const auth = new ClientAuthHeaders(settings.id, config.auth);
  const url = logsUrl(config);
  const sender = createOtlpHttpSender({
    url,
    tls: config.tls,
    headers: config.headers,
    maxConnections: config.max_conns_per_host,
    where: `exporters.${settings.id}`,
    authHeaders: () => auth.headers(),
  });

  async function post(raw: Buffer): Promise<HttpPost> {
    const gzipped = config.compression === 'gzip';
    return {
      body: gzipped ? await gzipAsync(raw) : raw,
      contentType: config.encoding === 'proto' ? 'application/x-protobuf' : 'application/json',
      ...(gzipped ? { contentEncoding: 'gzip' } : {}),
    };
  }

  const hooks = {
    settings,
    config,
    send: (body: HttpPost, signal: AbortSignal) => sender.post(body, signal),
    start(host: Host) {
      auth.resolve(host);
      sender.start();
      settings.logger.info('otlphttp exporter ready', {
        url: safeEndpoint(url.href),
        encoding: config.encoding,
        compression: config.compression,
      });
    },
    shutdown: () => sender.close(),
  };
  // Protobuf requests queue as encoded fragments; JSON is written from the model at send.
  return config.encoding === 'proto'
    ? createQueuedExporter<HttpPost, Buffer[]>({
        ...hooks,
        form: otlpProtoQueueForm,
        encode: (fragments) => post(joinFragments(fragments)),
      })
    : createQueuedExporter<HttpPost>({ ...hooks, encode: (logs: LogsData) => post(Buffer.from(encodeLogsJson(logs), 'utf8')) });
}
