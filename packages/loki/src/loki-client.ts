/**
 * One HTTP attempt at Loki's push endpoint over a keep-alive undici Pool, with the answer read
 * as Loki means it: 2xx ok; 429, 5xx and connection errors retryable (honouring Retry-After);
 * every other 4xx permanent, with Loki's own reason.
 */
import { Pool } from 'undici';
import { loadClientTls, parseRetryAfter } from '@sluice/core';
import type { SendOutcome, TlsClientConfig } from '@sluice/core';

export interface PushBody {
  body: Buffer;
  contentType: string;
  contentEncoding?: string;
  /** X-Scope-OrgID; '' sends none. */
  tenant: string;
}

export interface LokiClientOptions {
  /** The push URL, e.g. http://127.0.0.1:3100/loki/api/v1/push */
  endpoint: string;
  headers?: Readonly<Record<string, string>>;
  tls?: TlsClientConfig;
  /** The config path named in errors, e.g. `exporters.loki/eu`. */
  where?: string;
  /** At most this many connections; 0 or undefined = as many as needed. */
  maxConnections?: number;
  /** Per-request credentials (a client authenticator's headers()). */
  authHeaders?: () => Record<string, string>;
  now?: () => number;
}

/** Loki's reasons can list many rejected entries; the log needs only the start. */
const MAX_REASON_CHARS = 1024;

export class LokiClient {
  private pool: Pool | undefined;
  private readonly url: URL;

  constructor(private readonly options: LokiClientOptions) {
    this.url = new URL(options.endpoint);
  }

  /** Reads the TLS files and opens the pool; push() calls it when nobody did. */
  async start(): Promise<void> {
    if (this.pool) return;
    const connect = this.options.tls ? await loadClientTls(this.options.tls, this.options.where ?? 'exporters.loki') : undefined;
    this.pool ??= new Pool(this.url.origin, {
      connections: this.options.maxConnections || null,
      connect,
    });
  }

  async push(request: PushBody, signal?: AbortSignal): Promise<SendOutcome> {
    await this.start();
    const headers: Record<string, string> = {
      ...this.options.headers,
      ...this.options.authHeaders?.(),
      'content-type': request.contentType,
    };
    if (request.contentEncoding) headers['content-encoding'] = request.contentEncoding;
    if (request.tenant !== '') headers['x-scope-orgid'] = request.tenant;
    let response;
    try {
      response = await this.pool!.request({
        method: 'POST',
        path: this.url.pathname + this.url.search,
        headers,
        body: request.body,
        signal,
      });
    } catch (err) {
      const reason = err instanceof Error ? `${err.message}${codeOf(err)}` : String(err);
      return { ok: false, retryable: true, reason: `cannot reach Loki at ${this.url.origin}: ${reason}` };
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      await response.body.dump();
      return { ok: true };
    }
    const text = (await response.body.text().catch(() => '')).trim().slice(0, MAX_REASON_CHARS);
    const reason = `Loki answered ${status}${text ? `: ${text}` : ''}`;
    const retryable = status === 429 || status >= 500;
    const retryAfterMs = retryable
      ? parseRetryAfter(firstHeader(response.headers['retry-after']), (this.options.now ?? Date.now)())
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

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function codeOf(err: Error): string {
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}
