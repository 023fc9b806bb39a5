/**
 * One HTTP POST of an encoded body to a push endpoint over a keep-alive undici Pool, with the
 * answer read into a SendOutcome: connection errors are retryable; 2xx is ok (the exporter may
 * read a partial success from the body); any other status is retryable or permanent as the
 * exporter's protocol says, a retryable one honouring Retry-After, and the reason is the server's.
 */
import { Pool } from 'undici';
import { loadClientTls } from '../tls/client-tls';
import { safeEndpoint } from '../safe-endpoint';
import type { TlsClientConfig } from '../config/schema';
import { parseRetryAfter } from './retry-after';
import type { SendOutcome } from './send-outcome';

/** A proxy's HTML error page or a long list of rejected entries: the log needs only the start. */
const MAX_REASON_CHARS = 1024;
/** An error body is read this far, enough for a structured status; the rest is not downloaded. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface HttpPost {
  body: Buffer;
  contentType: string;
  contentEncoding?: string;
  /** Headers of this request only, e.g. a tenant. */
  headers?: Readonly<Record<string, string>>;
}

/** Where and how to connect: what an exporter's config says. */
export interface HttpEndpointOptions {
  url: URL;
  /** Sent with every request. */
  headers?: Readonly<Record<string, string>>;
  tls?: TlsClientConfig;
  /** The config path named in TLS errors, e.g. `exporters.loki/eu`. */
  where: string;
  /** At most this many connections; 0 or undefined = as many as needed. */
  maxConnections?: number;
  /** Per-request credentials (a client authenticator's headers()). */
  authHeaders?(): Record<string, string>;
  /** For Retry-After dates; injectable for tests. */
  now?: () => number;
}

/** The endpoint, and how the protocol reads its answers. */
export interface HttpPushClientOptions extends HttpEndpointOptions {
  /** Who answers, in reasons (e.g. `Loki`); without it, the URL's origin and path. */
  name?: string;
  /** Which non-2xx statuses are worth sending again. */
  retryableStatus(status: number): boolean;
  /** Reads a 2xx body (e.g. a partial success); without it, every 2xx is plainly ok. */
  accepted?(body: Buffer, contentType: string): SendOutcome;
  /** The reason in an error body, where the protocol gives it a structure; else the body is read as text. */
  errorMessage?(body: Buffer, contentType: string): string | undefined;
}

export class HttpPushClient {
  private pool: Pool | undefined;
  private readonly path: string;
  /** For messages: without the URL's credentials and query. */
  private readonly endpoint: string;

  constructor(private readonly options: HttpPushClientOptions) {
    const { url } = options;
    this.path = url.pathname + url.search;
    this.endpoint = safeEndpoint(url.href);
  }

  /**
   * Reads the TLS files and opens the pool (connections open lazily); throws a coded error for a
   * TLS file that is missing or wrong. post() calls it when nobody did.
   */
  start(): void {
    if (this.pool) return;
    const connect = this.options.tls ? loadClientTls(this.options.tls, this.options.where) : undefined;
    this.pool = new Pool(this.options.url.origin, { connections: this.options.maxConnections || null, ...(connect ? { connect } : {}) });
  }

  /**
   * One attempt; `signal` cancels it. Never throws: every failure is an outcome — a TLS file that
   * a start here cannot load is a permanent one (the config is wrong, the same data would fail again).
   */
  async post(request: HttpPost, signal?: AbortSignal): Promise<SendOutcome> {
    try {
      this.start();
    } catch (err) {
      return { ok: false, retryable: false, reason: err instanceof Error ? err.message : String(err) };
    }
    const { options } = this;
    const headers: Record<string, string> = {
      ...options.headers,
      ...options.authHeaders?.(),
      ...request.headers,
      'content-type': request.contentType,
    };
    if (request.contentEncoding) headers['content-encoding'] = request.contentEncoding;
    const who = options.name ?? this.endpoint;
    let response;
    try {
      response = await this.pool!.request({ method: 'POST', path: this.path, headers, body: request.body, signal });
    } catch (err) {
      const where = options.name ? `${options.name} at ${this.endpoint}` : this.endpoint;
      return { ok: false, retryable: true, reason: `cannot reach ${where}: ${describe(err)}` };
    }
    const status = response.statusCode;
    const contentType = String(response.headers['content-type'] ?? '');
    const ok = status >= 200 && status < 300;
    let body: Buffer | undefined;
    try {
      body = ok ? Buffer.from(await response.body.arrayBuffer()) : await readUpTo(response.body, MAX_ERROR_BODY_BYTES);
    } catch (err) {
      // A success cut off: whether the server took all of it is unknown, so send again.
      if (ok) return { ok: false, retryable: true, reason: `${who} answered ${status} but the response was cut off: ${describe(err)}` };
    }
    if (ok) return body && options.accepted ? options.accepted(body, contentType) : { ok: true };

    const detail = body ? (options.errorMessage?.(body, contentType) || body.toString('utf8').trim()).slice(0, MAX_REASON_CHARS) : '';
    const reason = `${who} answered ${status}${detail ? `: ${detail}` : ''}`;
    const retryable = options.retryableStatus(status);
    const retryAfter = response.headers['retry-after'];
    const retryAfterMs = retryable
      ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, (options.now ?? Date.now)())
      : undefined;
    return { ok: false, retryable, reason, status: String(status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  /** Idempotent. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}

/** The first `limit` bytes of a body; a longer one is cut off there (its connection closed, not drained). */
async function readUpTo(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= limit) break;
  }
  return Buffer.concat(chunks, Math.min(length, limit));
}

/** The error's message and, when it has one, its code (ECONNREFUSED...). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}
