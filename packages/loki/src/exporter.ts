/**
 * The `loki` exporter: records → streams → push requests (one per tenant, split above
 * max_request_bytes) → Loki, behind core's sending queue and retries.
 *
 * A batch is encoded once, right before its first attempt, and a batch that needs several
 * requests remembers which of them Loki already took: a retry sends only what is missing and
 * never encodes twice.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  ClientAuthHeaders,
  createQueuedExporter,
  safeEndpoint,
  type CreateSettings,
  type Exporter,
  type ExporterFactory,
  type Host,
  type HttpPost,
  type SendOutcome,
} from '@sluice/core';
import { RateLimitedWarner, type LogsData } from '@sluice/pdata';
import { lokiConfigSchema, lokiUnsupportedKeys, type LokiConfig } from './config';
import type { EncodedBatch } from './encoded-batch';
import { encodePushRequestJson } from './json-encoder';
import { LabelValueGuard } from './label-guard';
import { createLokiClient, pushPost } from './loki-client';
import { resolveMappingOptions, type MappingOptions } from './mapping-options';
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

  const auth = new ClientAuthHeaders(settings.id, config.auth);
  const client = createLokiClient({
    endpoint: config.endpoint,
    headers: config.headers,
    tls: config.tls,
    where: `exporters.${settings.id}`,
    maxConnections: config.max_conns_per_host,
    authHeaders: () => auth.headers(),
  });
  const gzipJson = config.encoding === 'json' && config.compression !== 'none' && config.compression !== '';

  async function encodeRequest(request: PushRequest): Promise<HttpPost> {
    if (config.encoding === 'protobuf')
      return pushPost(snappyCompress(encodePushRequestProto(request.streams)), 'application/x-protobuf', request.tenant);
    const json = encodePushRequestJson(request.streams);
    return gzipJson
      ? pushPost(await gzipAsync(json), 'application/json', request.tenant, 'gzip')
      : pushPost(json, 'application/json', request.tenant);
  }

  async function encode(logs: LogsData): Promise<EncodedBatch> {
    // A record with neither time nor observed time gets the time it is first sent.
    const receiveTimeNs = BigInt(Date.now()) * 1_000_000n;
    const requests = mapToStreams(logs, mapping, receiveTimeNs, onLimited).flatMap((r) => splitRequest(r, config.max_request_bytes));
    const posts: HttpPost[] = [];
    for (const request of requests) posts.push(await encodeRequest(request));
    const entries = requests.map((r) => r.streams.reduce((n, s) => n + s.entries.length, 0));
    return { requests: posts, entries, sent: posts.map(() => false) };
  }

  async function send(batch: EncodedBatch, signal: AbortSignal): Promise<SendOutcome> {
    let rejected = 0;
    let status: string | undefined;
    const reasons: string[] = [];
    for (let i = 0; i < batch.requests.length; i++) {
      if (batch.sent[i]) continue;
      const outcome = await client.post(batch.requests[i]!, signal);
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
    return rejected === total
      ? { ok: false, retryable: false, reason, ...(status ? { status } : {}) }
      : { ok: true, rejectedRecords: rejected, message: reason };
  }

  return createQueuedExporter<EncodedBatch>({
    settings,
    config,
    encode,
    send,
    start(host: Host) {
      auth.resolve(host);
      client.start();
      logger.info('loki exporter ready', {
        endpoint: safeEndpoint(config.endpoint),
        encoding: config.encoding,
        snappy: snappyImplementation,
      });
    },
    shutdown: () => client.close(),
  });
}
