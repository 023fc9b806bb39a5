/**
 * The `loki` exporter: records → streams → push requests (one per tenant, split above
 * max_request_bytes) → Loki, behind core's sending queue and retries.
 *
 * Batches are encoded when they are accepted, so the queue keeps compressed push bodies rather
 * than decoded records, and a batch that needs several requests remembers which of them Loki
 * already took: a retry sends only what is missing and never encodes twice.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { RateLimitedWarner, createQueuedExporter, isClientAuthenticator } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';
import type { ClientAuthenticator, CreateSettings, Exporter, ExporterFactory, Host, SendOutcome } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { lokiConfigSchema, lokiUnsupportedKeys } from './config';
import type { LokiConfig } from './config';
import { encodePushRequestJson } from './json-encoder';
import { LabelValueGuard } from './label-guard';
import { LokiClient } from './loki-client';
import type { PushBody } from './loki-client';
import { resolveMappingOptions } from './mapping-options';
import type { MappingOptions } from './mapping-options';
import { preparedBatchCodec, type PreparedBatch } from './prepared-batch';
import { encodePushRequestProto } from './proto-encoder';
import type { PushRequest } from './push';
import { snappyCompress, snappyImplementation } from './snappy';
import { splitRequest } from './split';
import { mapToStreams } from './streams';

const gzipAsync = promisify(gzip);

/** A guard warning per label at most this often: the counter has the full story. */
const LIMIT_WARNING_INTERVAL_MS = 60_000;

export const lokiExporterFactory: ExporterFactory<LokiConfig> = {
  kind: 'exporter',
  type: 'loki',
  description: 'Pushes logs to Grafana Loki (protobuf + snappy or JSON), with labels, structured metadata and tenants',
  configSchema: lokiConfigSchema,
  unsupportedKeys: lokiUnsupportedKeys,
  create: (settings, config) => createLokiExporter(settings, config),
};

export function createLokiExporter(settings: CreateSettings, config: LokiConfig): Exporter {
  const logger = settings.logger;
  const limitedCounter = settings.telemetry.counter(
    'sluice_loki_label_values_limited_total',
    'Label values kept out of a Loki label by the cardinality guard (moved to structured metadata).',
    ['exporter', 'label'],
  );
  const guard = new LabelValueGuard(config.labels.max_values_per_label, config.labels.values_window);
  const mapping: MappingOptions = resolveMappingOptions({
    format: config.format,
    tenantId: config.tenant_id,
    resourceLabels: config.labels.resource,
    attributeLabels: config.labels.attributes,
    staticLabels: config.labels.static,
    levelLabel: config.labels.level,
    structuredMetadata: config.structured_metadata.enabled,
    metadataAttributes: config.structured_metadata.attributes,
    admitLabelValue: (label, value) => guard.admit(label, value),
  });
  const limitWarnings = new RateLimitedWarner(LIMIT_WARNING_INTERVAL_MS, (message, fields) => logger.warn(message, fields));
  const onLimited = (label: string) => {
    limitedCounter.inc({ exporter: settings.id, label });
    limitWarnings.warn(label, 'label has too many values; new values go to structured metadata instead', {
      label,
      max_values_per_label: config.labels.max_values_per_label,
    });
  };

  let authenticator: ClientAuthenticator | undefined;
  const client = new LokiClient({
    endpoint: config.endpoint,
    headers: config.headers,
    tls: config.tls,
    where: `exporters.${settings.id}`,
    maxConnections: config.max_conns_per_host,
    authHeaders: () => authenticator?.headers() ?? {},
  });
  const gzipJson = config.encoding === 'json' && config.compression !== 'none' && config.compression !== '';

  async function encode(request: PushRequest): Promise<PushBody> {
    if (config.encoding === 'protobuf') {
      return { body: snappyCompress(encodePushRequestProto(request.streams)), contentType: 'application/x-protobuf', tenant: request.tenant };
    }
    const json = encodePushRequestJson(request.streams);
    return gzipJson
      ? { body: await gzipAsync(json), contentType: 'application/json', contentEncoding: 'gzip', tenant: request.tenant }
      : { body: json, contentType: 'application/json', tenant: request.tenant };
  }

  async function prepare(logs: LogsData): Promise<PreparedBatch> {
    const receiveTimeNs = BigInt(Date.now()) * 1_000_000n;
    const requests = mapToStreams(logs, mapping, receiveTimeNs, onLimited).flatMap((r) => splitRequest(r, config.max_request_bytes));
    const bodies: PushBody[] = [];
    for (const request of requests) bodies.push(await encode(request));
    const entries = requests.map((r) => r.streams.reduce((n, s) => n + s.entries.length, 0));
    return { bodies, entries, sent: bodies.map(() => false) };
  }

  async function send(batch: PreparedBatch, signal: AbortSignal): Promise<SendOutcome> {
    let rejected = 0;
    let status: string | undefined;
    const reasons: string[] = [];
    for (let i = 0; i < batch.bodies.length; i++) {
      if (batch.sent[i]) continue;
      const outcome = await client.push(batch.bodies[i]!, signal);
      if (!outcome.ok && outcome.retryable) return outcome; // the parts already sent are remembered
      batch.sent[i] = true;
      if (!outcome.ok) {
        rejected += batch.entries[i]!;
        reasons.push(outcome.reason);
        status = outcome.status;
      }
    }
    if (rejected === 0) return { ok: true };
    const total = batch.entries.reduce((a, b) => a + b, 0);
    const reason = reasons.join('; ');
    // Every request refused: a permanent failure. Only some: the rest went through (partial success).
    return rejected === total ? { ok: false, retryable: false, reason, ...(status ? { status } : {}) } : { ok: true, rejectedRecords: rejected, message: reason };
  }

  return createQueuedExporter<PreparedBatch>({
    settings,
    config,
    prepare,
    send,
    codec: preparedBatchCodec,
    async start(host: Host) {
      if (config.auth) {
        const extension = host.getExtension(config.auth.authenticator);
        if (!isClientAuthenticator(extension)) {
          throw new SluiceError(
            'SLUICE_CONFIG_UNDEFINED_COMPONENT',
            `exporter ${settings.id}: auth.authenticator "${config.auth.authenticator}" is not a configured client authenticator extension`,
          );
        }
        authenticator = extension;
      }
      await client.start();
      const url = new URL(config.endpoint);
      // origin + path only: a URL can carry user:password.
      logger.info('loki exporter ready', { endpoint: url.origin + url.pathname, encoding: config.encoding, snappy: snappyImplementation });
    },
    shutdown: () => client.close(),
  });
}
