/**
 * The `otlp` (gRPC) and `otlphttp` exporters: the data model encoded with the OTLP codec, sent
 * behind core's sending queue and retries. A batch is encoded once; retries reuse the bytes.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { createQueuedExporter, isClientAuthenticator } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';
import type { AuthConfig, ClientAuthenticator, CreateSettings, Exporter, ExporterFactory, Host } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { encodeLogsJson } from '@sluice/pdata';
import { encodeLogsProto } from '@sluice/pdata';
import {
  logsUrl,
  otlpGrpcExporterSchema,
  otlpGrpcExporterUnsupportedKeys,
  otlpHttpExporterSchema,
  otlpHttpExporterUnsupportedKeys,
} from './config';
import type { OtlpGrpcExporterConfig, OtlpHttpExporterConfig } from './config';
import { OtlpGrpcSender } from './grpc-sender';
import { OtlpHttpSender } from './http-sender';
import type { HttpBody } from './http-sender';

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
  const auth = new AuthHeaders(settings.id, config.auth);
  const sender = new OtlpGrpcSender({ config, where: `exporters.${settings.id}`, authHeaders: () => auth.headers() });
  const encoded = new WeakMap<LogsData, Buffer>();
  return createQueuedExporter({
    settings,
    config,
    async send(logs, signal) {
      let body = encoded.get(logs);
      if (!body) encoded.set(logs, (body = encodeLogsProto(logs)));
      return sender.export(body, signal, config.timeout);
    },
    async start(host: Host) {
      auth.resolve(host);
      await sender.start();
      settings.logger.info('otlp exporter ready', { endpoint: config.endpoint, compression: config.compression });
    },
    shutdown: () => sender.close(),
  });
}

export function createOtlpHttpExporter(settings: CreateSettings, config: OtlpHttpExporterConfig): Exporter {
  const auth = new AuthHeaders(settings.id, config.auth);
  const url = logsUrl(config);
  const sender = new OtlpHttpSender({
    url,
    tls: config.tls,
    headers: config.headers,
    maxConnections: config.max_conns_per_host,
    where: `exporters.${settings.id}`,
    authHeaders: () => auth.headers(),
  });
  const encoded = new WeakMap<LogsData, HttpBody>();

  async function encode(logs: LogsData): Promise<HttpBody> {
    const raw = config.encoding === 'proto' ? encodeLogsProto(logs) : Buffer.from(encodeLogsJson(logs), 'utf8');
    const gzipped = config.compression === 'gzip';
    return {
      bytes: gzipped ? await gzipAsync(raw) : raw,
      contentType: config.encoding === 'proto' ? 'application/x-protobuf' : 'application/json',
      gzip: gzipped,
    };
  }

  return createQueuedExporter({
    settings,
    config,
    async send(logs, signal) {
      let body = encoded.get(logs);
      if (!body) encoded.set(logs, (body = await encode(logs)));
      return sender.export(body, signal);
    },
    async start(host: Host) {
      auth.resolve(host);
      await sender.start();
      // origin + path only: a URL can carry user:password.
      settings.logger.info('otlphttp exporter ready', { url: url.origin + url.pathname, encoding: config.encoding, compression: config.compression });
    },
    shutdown: () => sender.close(),
  });
}

/** The headers of the `auth.authenticator` extension, found at start and asked on every request (tokens rotate). */
class AuthHeaders {
  private authenticator: ClientAuthenticator | undefined;

  constructor(
    private readonly id: string,
    private readonly config: AuthConfig | undefined,
  ) {}

  resolve(host: Host): void {
    if (!this.config) return;
    const extension = host.getExtension(this.config.authenticator);
    if (!isClientAuthenticator(extension)) {
      throw new SluiceError(
        'SLUICE_CONFIG_UNDEFINED_COMPONENT',
        `exporter ${this.id}: auth.authenticator "${this.config.authenticator}" is not a configured client authenticator extension (e.g. bearertokenauth)`,
      );
    }
    this.authenticator = extension;
  }

  headers(): Record<string, string> {
    return this.authenticator?.headers() ?? {};
  }
}
