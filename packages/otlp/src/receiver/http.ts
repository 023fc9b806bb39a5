import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { errorStack, type Logger, type LogsConsumer, type ServerAuthenticator } from '@sluice/core';
import {
  ConsumeError,
  GrpcStatus,
  SluiceError,
  asConsumeError,
  countLogRecords,
  decodeLogsJson,
  decodeLogsProtoRequest,
  setOwnProperty,
  type ClientContext,
  type LogsData,
} from '@sluice/pdata';
import { encodeExportResponseJson, encodeExportResponseProto, type PartialSuccess } from '../codec/export-response';
import type { OtlpHttpConfig } from './config';
import { partialSuccess } from './partial-success';
import { encodeStatusJson, encodeStatusProto, refusalStatus } from './status';

const gunzip = promisify(zlib.gunzip) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;
const inflate = promisify(zlib.inflate) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

type Encoding = 'proto' | 'json';

/** Makes the listening server: plain `http` by default, `https` when the receiver has TLS. */
export type CreateHttpServer = (options: http.ServerOptions, listener: http.RequestListener) => http.Server;

const CREDENTIAL_IN_QUERY = /[?&](?:access_token|token|bearer|auth|authorization|api_key|apikey)=/i;

/** The longest a refused body is read and dropped before the connection is cut. */
const DISCARD_MAX_MS = 5_000;
/** The most of it that is read, in multiples of max_request_body_size. */
const DISCARD_MAX_FACTOR = 4;

interface Metrics {
  accepted(records: number): void;
  refused(records: number): void;
}

/**
 * OTLP/HTTP: `POST /v1/logs` with a protobuf or JSON body, optionally gzip-compressed; the answer
 * is in the request's encoding. Written on `node:http` directly: it is the hot path, and a
 * framework's routing and hooks would cost more than they give for one route.
 */
export class OtlpHttpServer {
  private server: http.Server | undefined;
  /** Set at shutdown: keep-alive clients are told to go away instead of sending more. */
  private closing = false;

  constructor(
    private readonly config: OtlpHttpConfig,
    private readonly next: LogsConsumer,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly authenticator: ServerAuthenticator | undefined,
    private readonly createServer: CreateHttpServer = (options, listener) => http.createServer(options, listener),
  ) {}

  async start(host: string, port: number): Promise<string> {
    // Node checks the header and request timeouts on this interval (30 s by default), so a
    // short timeout would otherwise be enforced only up to 30 s late.
    const shortest = Math.min(this.config.read_header_timeout, this.config.read_timeout || Infinity);
    const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
    const server = this.createServer({ connectionsCheckingInterval }, (req, res) => this.handle(req, res));
    // A client that trickles its headers or body cannot hold a socket forever.
    server.headersTimeout = this.config.read_header_timeout;
    server.requestTimeout = this.config.read_timeout;
    server.keepAliveTimeout = this.config.idle_timeout;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return formatAddress(address);
  }

  /** Stops accepting connections and waits for requests in flight (their data is being accepted). */
  async shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.closing) {
      // Requests already in flight finish; a new one on a kept-alive connection is retryable.
      this.drain(req);
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      return respondText(res, 503, 'the collector is shutting down; retry against another instance or later');
    }
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt >= 0 ? url.slice(0, queryAt) : url;
    if (queryAt >= 0 && CREDENTIAL_IN_QUERY.test(url.slice(queryAt))) {
      // URLs end up in proxy and access logs: a token there is already leaked, so refuse it loudly.
      this.drain(req);
      return respondText(res, 400, 'credentials in the URL query string are refused; send them in the Authorization header');
    }
    if (this.config.cors && this.applyCors(req, res)) return;
    if (path !== this.config.logs_url_path) {
      this.drain(req);
      return respondText(res, 404, `${path} not found; OTLP logs are received at POST ${this.config.logs_url_path}`);
    }
    if (req.method !== 'POST') {
      this.drain(req);
      res.setHeader('Allow', 'POST');
      return respondText(res, 405, `${req.method} is not allowed; use POST`);
    }
    const encoding = requestEncoding(req.headers['content-type']);
    if (!encoding) {
      this.drain(req);
      return respondText(
        res,
        415,
        `Content-Type "${req.headers['content-type'] ?? ''}" is not supported; use application/x-protobuf or application/json`,
      );
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (contentEncoding !== 'identity' && contentEncoding !== 'gzip' && contentEncoding !== 'deflate') {
      this.drain(req);
      return this.respondError(
        res,
        encoding,
        415,
        GrpcStatus.INVALID_ARGUMENT,
        `Content-Encoding "${contentEncoding}" is not supported; use gzip, deflate or none`,
      );
    }
    let auth: Record<string, string> | undefined;
    if (this.authenticator) {
      const result = this.authenticator.authenticate(req.headers);
      if (!result.ok) {
        this.drain(req);
        res.setHeader('WWW-Authenticate', result.challenge);
        return this.respondError(res, encoding, 401, GrpcStatus.UNAUTHENTICATED, result.reason);
      }
      auth = result.auth;
    }
    const limit = this.config.max_request_body_size;
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      this.respondTooLarge(res, encoding, declared);
      return this.drain(req);
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        refused = true;
        chunks.length = 0;
        req.off('data', onData);
        this.respondTooLarge(res, encoding, received);
        this.drain(req);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', () => {
      refused = true;
    });
    req.on('end', () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      const context: ClientContext = { address: req.socket.remoteAddress };
      if (this.config.include_metadata) attachMetadata(context, req.headers);
      if (auth) (context as { auth?: Record<string, string> }).auth = auth;
      this.process(body, contentEncoding, encoding, context, res).catch((err: unknown) => {
        // Every refusal of the data is answered inside process(); this is a bug of the receiver's own.
        this.logger.error('the OTLP/HTTP receiver failed to answer a request', { error: errorStack(err) });
        this.respondError(res, encoding, 500, GrpcStatus.INTERNAL, 'SLUICE_INTERNAL: the receiver failed to answer the request');
      });
    });
  }

  /**
   * Reads and drops the rest of a refused body, so the refusal reaches the client and the
   * connection can stay alive. Closing at once would leave unread bytes in the socket, and the
   * kernel answers those with a reset that usually reaches a client still sending as EPIPE before
   * it reads the answer. Bounded in bytes and time (read_timeout, at most DISCARD_MAX_MS), so a
   * huge or trickled body — from a client that is not even authenticated — cannot hold the
   * socket: past either bound it is cut.
   */
  private drain(req: http.IncomingMessage): void {
    const maxBytes = DISCARD_MAX_FACTOR * this.config.max_request_body_size;
    let discarded = 0;
    const cut = (): void => {
      req.socket.destroy();
    };
    const timer = setTimeout(cut, Math.min(this.config.read_timeout || DISCARD_MAX_MS, DISCARD_MAX_MS));
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > maxBytes) cut();
    });
    const done = (): void => clearTimeout(timer);
    // 'end' as well: on a kept-alive connection the timer must not outlive this request.
    req.once('end', done);
    req.once('close', done);
    req.resume();
  }

  private async process(
    body: Buffer,
    contentEncoding: string,
    encoding: Encoding,
    context: ClientContext,
    res: http.ServerResponse,
  ): Promise<void> {
    let logs: LogsData;
    let records: number;
    let resources: number;
    try {
      const raw = contentEncoding === 'identity' ? body : await this.decompress(body, contentEncoding);
      if (raw === undefined) return this.respondTooLarge(res, encoding, undefined);
      if (encoding === 'proto') {
        ({ logs, logRecords: records, resourceLogs: resources } = decodeLogsProtoRequest(raw, this.next.wantsWireBytes === true));
      } else {
        logs = decodeLogsJson(raw);
        records = countLogRecords(logs);
        resources = logs.resourceLogs.length;
      }
    } catch (err) {
      const message = err instanceof SluiceError ? err.message : `cannot decode the request: ${(err as Error).message}`;
      return this.respondError(res, encoding, 400, GrpcStatus.INVALID_ARGUMENT, message);
    }
    if (records === 0 && resources === 0) return this.respondOk(res, encoding);
    try {
      await this.next.consume(logs, context);
    } catch (err) {
      const error = asConsumeError(err);
      const partial = partialSuccess(error, records);
      if (!partial) {
        this.metrics.refused(records);
        return this.respondRefused(res, encoding, error);
      }
      this.metrics.refused(partial.rejectedLogRecords);
      this.metrics.accepted(records - partial.rejectedLogRecords);
      return this.respondOk(res, encoding, partial);
    }
    this.metrics.accepted(records);
    this.respondOk(res, encoding);
  }

  /** Inflates within the body limit: a gzip bomb stops after at most the limit plus one chunk. */
  private async decompress(body: Buffer, contentEncoding: string): Promise<Buffer | undefined> {
    const options = { maxOutputLength: this.config.max_request_body_size };
    try {
      return contentEncoding === 'gzip' ? await gunzip(body, options) : await inflate(body, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
      throw new SluiceError('SLUICE_BAD_DATA', `the ${contentEncoding} body cannot be decompressed: ${(err as Error).message}`);
    }
  }

  private respondOk(res: http.ServerResponse, encoding: Encoding, partial?: PartialSuccess): void {
    if (this.closing) res.setHeader('Connection', 'close');
    const body = encoding === 'proto' ? encodeExportResponseProto(partial) : encodeExportResponseJson(partial);
    res.writeHead(200, { 'Content-Type': contentType(encoding), 'Content-Length': Buffer.byteLength(body) });
    // With an empty body, end() alone writes the head at once; end(body) takes the stream's
    // buffered writev path even for nothing, about 5 µs more a request.
    if (body.length === 0) res.end();
    else res.end(body);
  }

  private respondRefused(res: http.ServerResponse, encoding: Encoding, error: ConsumeError): void {
    const status = refusalStatus(error);
    // 429 tells OTLP clients to slow down; it and 503 are both retried per the OTLP spec.
    if (error.retryable) res.setHeader('Retry-After', String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000))));
    this.respondError(res, encoding, status.http, status.grpc, error.message);
  }

  private respondTooLarge(res: http.ServerResponse, encoding: Encoding, size: number | undefined): void {
    const limit = this.config.max_request_body_size;
    const what = size === undefined ? 'the decompressed body' : `the body (${size} bytes so far)`;
    this.respondError(res, encoding, 413, GrpcStatus.INVALID_ARGUMENT, `${what} exceeds max_request_body_size (${limit} bytes)`);
  }

  private respondError(res: http.ServerResponse, encoding: Encoding, httpStatus: number, grpcCode: number, message: string): void {
    if (res.headersSent) return;
    const body = encoding === 'proto' ? encodeStatusProto(grpcCode, message) : encodeStatusJson(grpcCode, message);
    res.writeHead(httpStatus, { 'Content-Type': contentType(encoding), 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Answers CORS preflights and decorates responses; returns true when the request was a preflight. */
  private applyCors(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const cors = this.config.cors!;
    const origin = req.headers.origin;
    if (!origin || !originAllowed(cors.allowed_origins, origin)) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
    const allowed = ['content-type', 'content-encoding', 'x-requested-with', ...cors.allowed_headers.map((h) => h.toLowerCase())];
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    res.setHeader(
      'Access-Control-Allow-Headers',
      allowed.includes('*') ? (req.headers['access-control-request-headers'] ?? '') : allowed.join(', '),
    );
    if (cors.max_age !== undefined) res.setHeader('Access-Control-Max-Age', String(cors.max_age));
    this.drain(req);
    res.writeHead(204);
    res.end();
    return true;
  }
}

function originAllowed(patterns: readonly string[], origin: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*' || pattern === origin) return true;
    if (!pattern.includes('*')) return false;
    const regex = new RegExp(
      '^' +
        pattern
          .split('*')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
    );
    return regex.test(origin);
  });
}

function attachMetadata(context: ClientContext, headers: http.IncomingHttpHeaders): void {
  const metadata: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key === 'authorization') continue;
    setOwnProperty(metadata, key, Array.isArray(value) ? value : [value]);
  }
  (context as { metadata?: Record<string, string[]> }).metadata = metadata;
}

function requestEncoding(contentTypeHeader: string | undefined): Encoding | undefined {
  if (!contentTypeHeader) return undefined;
  const semicolon = contentTypeHeader.indexOf(';');
  const mediaType = (semicolon >= 0 ? contentTypeHeader.slice(0, semicolon) : contentTypeHeader).trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'proto';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

function contentType(encoding: Encoding): string {
  return encoding === 'proto' ? 'application/x-protobuf' : 'application/json';
}

function respondText(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(message) });
  res.end(message);
}

export function formatAddress(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
