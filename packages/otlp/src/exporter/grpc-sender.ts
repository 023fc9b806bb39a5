/**
 * One OTLP/gRPC export attempt over a long-lived @grpc/grpc-js channel, with the answer read as
 * the OTLP spec says: which status codes are worth retrying, and how long the server asked us
 * to wait (RetryInfo in `grpc-status-details-bin`).
 */
import * as grpc from '@grpc/grpc-js';
import { createSecureContext } from 'node:tls';
import { loadClientTls, type SendOutcome } from '@sluice/core';
import { exportResponseOutcome } from '../codec/export-response';
import { parseGrpcEndpoint, type OtlpGrpcExporterConfig } from './config';
import { decodeRpcStatusProto } from './rpc-status';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const identity = (bytes: Buffer) => bytes;
/** How much later than the attempt's own timeout the call's deadline is. */
const DEADLINE_GRACE_MS = 1000;

/** Retryable per the OTLP spec; RESOURCE_EXHAUSTED only when the server says when (RetryInfo). */
const RETRYABLE = new Set<grpc.status>([
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

export interface GrpcSenderOptions {
  config: OtlpGrpcExporterConfig;
  /** For error messages: `exporters.<id>`. */
  where: string;
  /** Per-call credentials (a client authenticator's headers()). */
  authHeaders(): Record<string, string>;
}

export class OtlpGrpcSender {
  private client: grpc.Client | undefined;
  private readonly target: string;
  private readonly secure: boolean;

  constructor(private readonly options: GrpcSenderOptions) {
    const { config } = options;
    const endpoint = parseGrpcEndpoint(config.endpoint)!;
    this.target = endpoint.target;
    // As otelcol: plaintext only when asked for (insecure without a CA), TLS whenever https:// says so.
    this.secure = endpoint.https || !config.tls.insecure || config.tls.ca_file !== undefined;
  }

  /** Opens the channel (it connects lazily, so a gateway that is down does not fail the start). */
  start(): void {
    if (this.client) return;
    const { config } = this.options;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.default_compression_algorithm':
        config.compression === 'gzip' ? grpc.compressionAlgorithms.gzip : grpc.compressionAlgorithms.identity,
      'grpc.keepalive_time_ms': config.keepalive.time,
      'grpc.keepalive_timeout_ms': config.keepalive.timeout,
      'grpc.keepalive_permit_without_calls': config.keepalive.permit_without_stream ? 1 : 0,
      // Reconnect on the retry policy's rhythm, so a gateway that comes back is used as soon as the next retry.
      'grpc.initial_reconnect_backoff_ms': Math.max(10, config.retry_on_failure.initial_interval),
      'grpc.max_reconnect_backoff_ms': Math.max(10, config.retry_on_failure.max_interval),
    };
    if (config.authority) channelOptions['grpc.default_authority'] = config.authority;
    let credentials = grpc.credentials.createInsecure();
    if (this.secure) {
      const tls = loadClientTls(config.tls, this.options.where);
      credentials = grpc.credentials.createFromSecureContext(createSecureContext(tls), { rejectUnauthorized: tls.rejectUnauthorized });
      if (tls.servername) channelOptions['grpc.ssl_target_name_override'] = tls.servername;
    }
    this.client = new grpc.Client(this.target, credentials, channelOptions);
  }

  /** One unary Export call; `signal` cancels it. Never throws: every failure is an outcome. */
  async export(body: Buffer, signal: AbortSignal, timeoutMs: number): Promise<SendOutcome> {
    this.start();
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries({ ...this.options.config.headers, ...this.options.authHeaders() })) metadata.set(key, value);
    // The attempt's own timer ends the call at timeoutMs (and says so in one wording); the deadline
    // the server is told comes a little later, so grpc-js's timer never races it to report the
    // same timeout as DEADLINE_EXCEEDED.
    const callOptions: grpc.CallOptions = timeoutMs > 0 ? { deadline: Date.now() + timeoutMs + DEADLINE_GRACE_MS } : {};
    return new Promise<SendOutcome>((resolve) => {
      const call = this.client!.makeUnaryRequest<Buffer, Buffer>(
        EXPORT_PATH,
        identity,
        identity,
        body,
        metadata,
        callOptions,
        (err, response) => {
          signal.removeEventListener('abort', cancel);
          resolve(err ? this.failure(err) : exportResponseOutcome(response, 'proto'));
        },
      );
      const cancel = () => call.cancel();
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
    return Promise.resolve();
  }

  private failure(err: grpc.ServiceError): SendOutcome {
    const name = grpc.status[err.code] ?? String(err.code);
    const details = err.metadata?.get('grpc-status-details-bin')[0];
    const status = Buffer.isBuffer(details) ? decodeRpcStatusProto(details) : undefined;
    const retryAfterMs = status?.retryDelayMs;
    const retryable = RETRYABLE.has(err.code) || (err.code === grpc.status.RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
    const reason = `${this.target} answered ${name}: ${status?.message || err.details || err.message}`;
    return { ok: false, retryable, reason, status: name, ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
}
