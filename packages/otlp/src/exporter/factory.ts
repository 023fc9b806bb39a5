/**
 * The `otlp` (gRPC) and `otlphttp` exporters: the data model encoded with the OTLP codec, sent
 * behind core's sending queue and retries. Protobuf requests are encoded as they are queued and
 * batches join them by concatenation; a batch is compressed once, and retries reuse the bytes.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  ByteArena,
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
  type SendOutcome,
} from '@sluice/core';
import { decodeLogsProto, encodeLogsJson, type LogsData } from '@sluice/pdata';
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

/**
 * Queued requests and the joined batches being sent live in reused memory (see ByteArena): chunks
 * large enough that a batch of the default size (min_size 1 MiB) is cut from them too. Exporters
 * made together (a load balancer's backends) share one, so the memory it keeps is not multiplied.
 */
export function otlpBatchArena(): ByteArena {
  return new ByteArena(8 * 1024 * 1024, 1);
}

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

/**
 * Wraps every send attempt of a batch: the `loadbalancing` exporter uses it to hand a batch its
 * backend cannot take (the backend went away or is failing) to another backend instead. `batch`
 * decodes the batch's request back into the model.
 */
export type SendAttemptHook = (batch: () => LogsData, send: () => Promise<SendOutcome>) => Promise<SendOutcome>;

export function createOtlpGrpcExporter(
  settings: CreateSettings,
  config: OtlpGrpcExporterConfig,
  onAttempt?: SendAttemptHook,
  arena = otlpBatchArena(),
): Exporter {
  const auth = new ClientAuthHeaders(settings.id, config.auth);
  const sender = new OtlpGrpcSender({ config, where: `exporters.${settings.id}`, authHeaders: () => auth.headers() });
  const send = (body: Buffer, signal: AbortSignal) => sender.export(body, signal, config.timeout);
  return createQueuedExporter<Buffer, Buffer[]>({
    settings,
    config,
    form: otlpProtoQueueForm(arena),
    usesWireBytes: true,
    encode: (fragments) => joinFragments(fragments, arena),
    releasePayload: (body) => arena.giveBack(body),
    // Decoded only if the hook sends the batch elsewhere (rare): the queue holds the encoded request.
    send: onAttempt
      ? (body, signal) =>
          onAttempt(
            () => decodeLogsProto(body),
            () => send(body, signal),
          )
      : send,
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

  const arena = otlpBatchArena();
  /** `raw` may be arena memory: the body is too, and goes back with the payload. */
  async function post(raw: Buffer): Promise<HttpPost> {
    const gzipped = config.compression === 'gzip';
    let body = raw;
    if (gzipped) {
      // The compressed copy waits through the attempts; zlib's own output dies young.
      body = arena.copy(await gzipAsync(raw));
      arena.giveBack(raw);
    }
    return {
      body,
      contentType: config.encoding === 'proto' ? 'application/x-protobuf' : 'application/json',
      ...(gzipped ? { contentEncoding: 'gzip' } : {}),
    };
  }

  const hooks = {
    settings,
    config,
    send: (body: HttpPost, signal: AbortSignal) => sender.post(body, signal),
    releasePayload: (request: HttpPost) => arena.giveBack(request.body),
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
        form: otlpProtoQueueForm(arena),
        usesWireBytes: true,
        encode: (fragments) => post(joinFragments(fragments, arena)),
      })
    : createQueuedExporter<HttpPost>({ ...hooks, encode: (logs: LogsData) => post(Buffer.from(encodeLogsJson(logs), 'utf8')) });
}
