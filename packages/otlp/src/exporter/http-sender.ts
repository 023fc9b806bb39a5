/**
 * One OTLP/HTTP export attempt over a keep-alive undici Pool, with the answer read as the OTLP
 * spec says: 2xx ok (maybe partial success); 429, 502, 503, 504 and connection errors retryable,
 * honouring Retry-After; any other status permanent, with the server's google.rpc.Status message.
 */
import { Pool } from 'undici';
import { loadClientTls, parseRetryAfter } from '@sluice/core';
import type { SendOutcome, TlsClientConfig } from '@sluice/core';
import { decodeExportResponseJson, decodeExportResponseProto } from '../codec/export-response';
import { decodeRpcStatusJson, decodeRpcStatusProto } from './rpc-status';

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** A proxy's HTML error page can be long; the log needs only the start. */
const MAX_REASON_CHARS = 1024;

export interface HttpSenderOptions {
  url: URL;
  tls: TlsClientConfig | undefined;
  headers: Readonly<Record<string, string>>;
  /** 0 = as many connections as needed. */
  maxConnections: number;
  /** For error messages: `exporters.<id>`. */
  where: string;
  /** Per-request credentials (a client authenticator's headers()). */
  authHeaders(): Record<string, string>;
  now?: () => number;
}

export interface HttpBody {
  bytes: Buffer;
  contentType: 'application/x-protobuf' | 'application/json';
  gzip: boolean;
}

export class OtlpHttpSender {
  private pool: Pool | undefined;

  constructor(private readonly options: HttpSenderOptions) {}

  /** Reads the TLS files and opens the pool (connections open lazily). */
  async start(): Promise<void> {
    if (this.pool) return;
    const connect = this.options.tls ? await loadClientTls(this.options.tls, this.options.where) : undefined;
    this.pool ??= new Pool(this.options.url.origin, { connections: this.options.maxConnections || null, ...(connect ? { connect } : {}) });
  }

  /** Never throws: every failure is an outcome. */
  async export(body: HttpBody, signal: AbortSignal): Promise<SendOutcome> {
    await this.start();
    const { url } = this.options;
    const headers: Record<string, string> = {
      ...this.options.headers,
      ...this.options.authHeaders(),
      'content-type': body.contentType,
    };
    if (body.gzip) headers['content-encoding'] = 'gzip';
    let response;
    try {
      response = await this.pool!.request({ method: 'POST', path: url.pathname + url.search, headers, body: body.bytes, signal });
    } catch (err) {
      return { ok: false, retryable: true, reason: `cannot reach ${url.origin}: ${describe(err)}` };
    }
    const status = response.statusCode;
    const contentType = String(response.headers['content-type'] ?? '');
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.body.arrayBuffer());
    } catch (err) {
      // Cut off while reading the answer: whether the server took the data is unknown, so send again.
      return { ok: false, retryable: true, reason: `${url.origin} answered ${status} but the response was cut off: ${describe(err)}` };
    }
    if (status >= 200 && status < 300) return success(bytes, contentType);

    const retryable = RETRYABLE_STATUS.has(status);
    const reason = `${url.origin}${url.pathname} answered ${status}: ${statusMessage(bytes, contentType)}`;
    const retryAfter = response.headers['retry-after'];
    const retryAfterMs = retryable ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, (this.options.now ?? Date.now)()) : undefined;
    return { ok: false, retryable, reason, status: String(status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  /** Idempotent. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}

function success(bytes: Buffer, contentType: string): SendOutcome {
  let partial;
  try {
    partial = bytes.length === 0 ? undefined : contentType.includes('json') ? decodeExportResponseJson(bytes) : decodeExportResponseProto(bytes);
  } catch {
    // The server took the data; an unreadable response cannot make that untrue.
    return { ok: true };
  }
  if (!partial || partial.rejectedLogRecords <= 0) return { ok: true };
  return { ok: true, rejectedRecords: partial.rejectedLogRecords, message: partial.errorMessage || 'the server rejected part of the batch' };
}

/** The google.rpc.Status message the spec puts in error bodies, else the body as text. */
function statusMessage(bytes: Buffer, contentType: string): string {
  if (contentType.includes('application/x-protobuf') || contentType.includes('application/protobuf')) {
    const status = decodeRpcStatusProto(bytes);
    if (status?.message) return status.message;
  } else if (contentType.includes('json')) {
    const status = decodeRpcStatusJson(bytes.toString('utf8'));
    if (status?.message) return status.message;
  }
  const text = bytes.toString('utf8').trim();
  return text === '' ? '(empty body)' : text.slice(0, MAX_REASON_CHARS);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}
