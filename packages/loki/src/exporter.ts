/**
 * The `loki` exporter: records → streams → push requests (one per tenant, split above
 * max_request_bytes) → Loki, behind core's sending queue and retries.
 *
 * Each request is mapped to streams and encoded (uncompressed) as it is queued; batches join
 * those fragments and are compressed once, right before their first attempt. A batch that needs
 * several pushes remembers which of them Loki already took: a retry sends only what is missing
 * and never encodes twice.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  ByteArena,
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
import { JSON_PUSH_FRAMING, joinJsonStreams } from './json-encoder';
import { LabelValueGuard } from './label-guard';
import { createLokiClient, pushPost } from './loki-client';
import { resolveMappingOptions, type MappingOptions } from './mapping-options';
import { pushFragments } from './push-fragments';
import { groupPushes, pushQueueForm, type PushFragment, type QueuedPush } from './queued-push';
import { snappyCompress, snappyImplementation } from './snappy';
import { wireTranscoderCovers } from './wire-push';

const gzipAsync = promisify(gzip);

/** Compressed pushes of the default batch (1 MiB of fragments) are a few hundred KB: a chunk holds several. */
const PAYLOAD_CHUNK_BYTES = 2 * 1024 * 1024;

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
    defaultResourceLabels: config.labels.default_resource,
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

  // The fragments written from a request's bytes wait in the queue, and compressed protobuf
  // pushes while they are sent, in reused memory: fresh Buffers that live that long are what
  // makes V8 run full collections under load. (Fragments the model path writes, and JSON
  // pushes, use fresh Buffers.)
  const arena = new ByteArena();
  const fragmentSettings = {
    encoding: config.encoding,
    maxRequestBytes: config.max_request_bytes,
    allocate: (size: number) => arena.take(size),
  };
  /** Runs as a request is queued: its streams, encoded but not compressed, per tenant and under max_request_bytes. */
  function toFragments(logs: LogsData): PushFragment[] {
    // A record with neither time nor observed time gets the time the collector accepted it.
    const receiveTimeNs = BigInt(Date.now()) * 1_000_000n;
    return pushFragments(logs, mapping, receiveTimeNs, fragmentSettings, onLimited);
  }

  // Compressed pushes wait through their attempts in memory of their own: taken from `arena`, they
  // would sit between the fragments of requests queued in turn, which otherwise lie one after
  // another there and are compressed in place.
  const payloads = new ByteArena(PAYLOAD_CHUNK_BYTES, 1);

  // Fragments that do not lie one after another are joined in one buffer kept between pushes
  // (compression copies what it reads, synchronously): a fresh megabyte a push would only add to
  // the external memory whose growth drives V8's full collections.
  let joinScratch = Buffer.allocUnsafe(0);
  function compressFragments(bodies: readonly Buffer[]): Buffer {
    if (bodies.length === 1) return snappyCompress(bodies[0]!);
    const span = arena.span(bodies);
    if (span !== undefined) {
      try {
        return snappyCompress(span);
      } finally {
        arena.giveBack(span);
      }
    }
    const size = bodies.reduce((n, body) => n + body.length, 0);
    if (joinScratch.length < size) joinScratch = Buffer.allocUnsafe(Math.max(size, 2 * joinScratch.length));
    let pos = 0;
    for (const body of bodies) pos += body.copy(joinScratch, pos);
    return snappyCompress(joinScratch.subarray(0, size));
  }

  async function encodePush(fragments: readonly PushFragment[]): Promise<HttpPost> {
    const tenant = fragments[0]!.tenant;
    const bodies = fragments.map((f) => f.body);
    if (config.encoding === 'protobuf') {
      // The compressor's output dies young; its copy waits through the attempts (releasePayload).
      return pushPost(payloads.copy(compressFragments(bodies)), 'application/x-protobuf', tenant);
    }
    const json = joinJsonStreams(bodies);
    return gzipJson ? pushPost(await gzipAsync(json), 'application/json', tenant, 'gzip') : pushPost(json, 'application/json', tenant);
  }

  /** A batch's pushes, compressed once before the first attempt: one tenant each, under max_request_bytes. */
  async function encode(batch: QueuedPush): Promise<EncodedBatch> {
    // Protobuf fragments join by plain concatenation; JSON ones inside `{"streams":[...]}`, with commas.
    const pushes = groupPushes(batch.fragments, config.max_request_bytes, config.encoding === 'json' ? JSON_PUSH_FRAMING : undefined);
    const requests: HttpPost[] = [];
    for (const push of pushes) requests.push(await encodePush(push));
    const entries = pushes.map((push) => push.reduce((n, f) => n + f.entries, 0));
    return { requests, entries, sent: requests.map(() => false), rejected: 0, reasons: [] };
  }

  async function send(batch: EncodedBatch, signal: AbortSignal): Promise<SendOutcome> {
    for (let i = 0; i < batch.requests.length; i++) {
      if (batch.sent[i]) continue;
      const outcome = await client.post(batch.requests[i]!, signal);
      // The parts already answered are remembered, refusals included, so the retry's outcome still counts them.
      if (!outcome.ok && outcome.retryable) return outcome;
      batch.sent[i] = true;
      if (!outcome.ok) {
        batch.rejected += batch.entries[i]!;
        batch.reasons.push(outcome.reason);
        batch.status = outcome.status;
      }
    }
    const { rejected, reasons, status } = batch;
    if (rejected === 0) return { ok: true };
    const total = batch.entries.reduce((a, b) => a + b, 0);
    const reason = reasons.join('; ');
    // Every request refused: a permanent failure. Only some: the rest went through (partial success).
    return rejected === total
      ? { ok: false, retryable: false, reason, ...(status ? { status } : {}) }
      : { ok: true, rejectedRecords: rejected, message: reason };
  }

  return createQueuedExporter<EncodedBatch, QueuedPush>({
    settings,
    config,
    form: pushQueueForm(toFragments, arena),
    usesWireBytes: config.encoding === 'protobuf' && wireTranscoderCovers(mapping),
    encode,
    releasePayload: (batch) => {
      for (const request of batch.requests) payloads.giveBack(request.body);
    },
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
