/**
 * A Loki test server: POST /loki/api/v1/push as Loki documents it (protobuf + snappy, JSON with
 * optional gzip), Loki's validation rules with its status codes and messages, and what it
 * stored readable by tests (directly, or through a small subset of GET query_range). It can be made to fail on cue: really down (connection refused,
 * then rebound on the same port), slow, 429 (with Retry-After), 500 or 400.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { LabelsError, canonicalLabels, parseLabelString } from './labels';
import { DecodeError, checkPushProto, decodePushJson, decodePushProto, isDecoded } from './push-decoder';
import type { EntryShape, PushStream } from './push-decoder';

export interface LokiTestServerOptions {
  /** Loki's `auth_enabled`: when true (default), X-Scope-OrgID is required; when false the tenant is `fake`. */
  authEnabled?: boolean;
  /** `max_label_names_per_series` (15) */
  maxLabelNamesPerSeries?: number;
  /** `max_line_size` in bytes (256 KB) */
  maxLineSize?: number;
  /** `reject_old_samples_max_age` in ms (168h); entries older are refused. 0 turns the check off. */
  rejectOldSamplesMaxAgeMs?: number;
  /** `creation_grace_period` in ms (10m): entries further in the future are refused. */
  creationGracePeriodMs?: number;
  /** Out-of-order window (Loki 3: max_chunk_age / 2 = 1h): an entry further behind its stream's newest is refused. */
  outOfOrderWindowMs?: number;
  /** `allow_structured_metadata` (true, as Loki 3; false behaves as Loki 2 with it disallowed) */
  allowStructuredMetadata?: boolean;
  now?: () => number;
  /** Keep accepted entries for reading back (default). False only counts them: for load tests. */
  keepEntries?: boolean;
  /** Serve HTTPS with this certificate; with `clientCaFile`, require client certificates signed by it (mTLS). */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Called for every push accepted whole (204), e.g. to count pushes and their sizes under load. */
  onPush?(push: AcceptedPush): void;
  /**
   * Snappy block decompression. By default snappyjs (pure JS): a decoder independent of the
   * exporter's native snappy, as tests want.
   */
  snappyUncompress?: (input: Uint8Array) => Uint8Array;
}

export interface AcceptedPush {
  /** The request body as sent (compressed). */
  wireBytes: number;
  entries: number;
  /** Line and structured-metadata bytes: what Loki's ingestion rate limits count. */
  entryBytes: number;
}

export type FailMode = 'down' | 'slow' | '429' | '500' | '400';

export interface FailOptions {
  /** Fail this many requests, then behave again (not for 'down'); unlimited when absent. */
  times?: number;
  /** Let this many requests through first (not for 'down'). */
  after?: number;
  /** 429/500: the Retry-After header value (seconds, or an HTTP date). */
  retryAfter?: string | number;
  /** 'slow': how long each response is delayed (default 1000 ms). */
  delayMs?: number;
  /** 400/500/429: the body to answer with. */
  message?: string;
}

export interface StoredEntry {
  tenant: string;
  labels: Record<string, string>;
  timestampNs: bigint;
  line: string;
  metadata: Record<string, string>;
}

export interface StoredStream {
  labels: Record<string, string>;
  entries: StoredEntry[];
}

export interface RequestRecord {
  tenant: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  headers: http.IncomingHttpHeaders;
  status: number;
  body: string;
}

export interface LokiTestServer {
  /** http://127.0.0.1:PORT (https:// with `tls`) */
  readonly url: string;
  /** url + /loki/api/v1/push */
  readonly pushUrl: string;
  readonly port: number;
  /** Push requests answered (any status), and each one's details. */
  readonly requests: number;
  readonly requestLog: readonly RequestRecord[];
  /** Entries accepted so far, kept or not. */
  readonly acceptedEntries: number;
  /** Stored streams of a tenant (default: every tenant's entries, in arrival order per stream). */
  streams(tenant?: string): StoredStream[];
  /** Every stored entry (of one tenant when given), in arrival order. */
  entries(tenant?: string): StoredEntry[];
  /** Entries whose labels include every pair of `labels`, and whose structured metadata includes `metadata`. */
  query(labels: Record<string, string>, options?: { tenant?: string; metadata?: Record<string, string> }): StoredEntry[];
  fail(mode: FailMode, options?: FailOptions): Promise<void>;
  recover(): Promise<void>;
  close(): Promise<void>;
}

const PUSH_PATH = '/loki/api/v1/push';
const QUERY_RANGE_PATH = '/loki/api/v1/query_range';
const DAY_MS = 24 * 3600 * 1000;

export async function startLokiTestServer(options: LokiTestServerOptions = {}): Promise<LokiTestServer> {
  const limits = {
    authEnabled: options.authEnabled ?? true,
    maxLabelNames: options.maxLabelNamesPerSeries ?? 15,
    maxLineSize: options.maxLineSize ?? 256 * 1024,
    rejectOldMs: options.rejectOldSamplesMaxAgeMs ?? 7 * DAY_MS,
    gracePeriodMs: options.creationGracePeriodMs ?? 10 * 60_000,
    outOfOrderWindowMs: options.outOfOrderWindowMs ?? 3_600_000,
    allowStructuredMetadata: options.allowStructuredMetadata ?? true,
  };
  const now = options.now ?? Date.now;
  const stored: StoredEntry[] = [];
  const keepEntries = options.keepEntries ?? true;
  const uncompress = options.snappyUncompress ?? snappyjsUncompress;
  let acceptedEntries = 0;
  /** tenant → canonical label string → newest timestamp, for the out-of-order window */
  const newest = new Map<string, bigint>();
  const requestLog: RequestRecord[] = [];
  let failure: { mode: FailMode; options: FailOptions; left: number; skip: number } | undefined;
  const sockets = new Set<Socket>();

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: unknown) => answer(req, res, 500, `internal error: ${(err as Error).message}`));
  };
  const tls = options.tls;
  const server: http.Server = tls
    ? https.createServer(
        {
          cert: readFileSync(tls.certFile),
          key: readFileSync(tls.keyFile),
          ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
        },
        onRequest,
      )
    : http.createServer(onRequest);
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function answer(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    if (req.url?.startsWith(PUSH_PATH)) {
      requestLog.push({
        tenant: header(req, 'x-scope-orgid'),
        contentType: header(req, 'content-type'),
        contentEncoding: header(req, 'content-encoding'),
        headers: req.headers,
        status,
        body,
      });
    }
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body === '' ? undefined : body + '\n');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/ready') return answer(req, res, 200, 'ready');
    if (req.method === 'GET' && path === QUERY_RANGE_PATH) return queryRange(req, res);
    if (path !== PUSH_PATH) return answer(req, res, 404, '404 page not found');
    if (req.method !== 'POST') return answer(req, res, 405, 'method not allowed');
    const body = await readBody(req);

    if (failure && failure.skip > 0) failure.skip--;
    else if (failure) {
      const { mode, options: opts } = failure;
      if (failure.left !== Infinity && --failure.left <= 0) failure = undefined;
      if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, opts.delayMs ?? 1000));
      else {
        const headers: Record<string, string> = opts.retryAfter !== undefined ? { 'retry-after': String(opts.retryAfter) } : {};
        const defaults: Record<string, string> = {
          '429':
            'Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest lines totaling 1024 bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased',
          '500': 'rpc error: code = Unavailable desc = at least 1 live replicas required, could only find 0',
          '400': 'error at least one label pair is required per stream',
        };
        return answer(req, res, Number(mode), opts.message ?? defaults[mode]!, headers);
      }
    }

    let tenant = header(req, 'x-scope-orgid');
    if (!limits.authEnabled) tenant = 'fake';
    if (!tenant) return answer(req, res, 401, 'no org id');

    let streams: PushStream<EntryShape>[];
    try {
      // Entries not kept need no text: their strings are only checked.
      streams = decode(req, body, keepEntries ? decodePushProto : checkPushProto, uncompress);
    } catch (err) {
      if (err instanceof UnsupportedMediaType) return answer(req, res, 415, err.message);
      return answer(req, res, 400, `error parsing push request: ${(err as Error).message}`);
    }

    const errors = validateAndStore(tenant, streams);
    if (errors.length > 0) return answer(req, res, 400, errors.join('\n'));
    options.onPush?.({ wireBytes: body.length, ...pushSize(streams) });
    answer(req, res, 204, '');
  }

  /**
   * A small part of LogQL, so a client of the query API can be tried here: an equality stream
   * selector, `| json` (Loki's json parser: nested keys joined with `_`, a key that is already a
   * stream label gets `_extracted`), and `| name="value"` filters on the labels so far (stream
   * labels, structured metadata, parsed fields), e.g. `{app="x"} | json | session_id="..."`.
   */
  function queryRange(req: http.IncomingMessage, res: http.ServerResponse): void {
    const params = new URL(req.url ?? '', 'http://x').searchParams;
    const tenant = limits.authEnabled ? header(req, 'x-scope-orgid') : 'fake';
    if (!tenant) return answer(req, res, 401, 'no org id');
    const stage = String.raw`\s*\|\s*(?:json|[a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"(?:[^"\\]|\\.)*")`;
    const match = new RegExp(String.raw`^\s*(\{[^}]*\})((?:${stage})*)\s*$`).exec(params.get('query') ?? '');
    if (!match) return answer(req, res, 400, `parse error: the test server understands {a="b"} | json | name="value" only`);
    let selector: Record<string, string>;
    try {
      selector = parseLabelString(match[1]!);
    } catch (err) {
      return answer(req, res, 400, `parse error: ${(err as Error).message}`);
    }
    const stages = [...match[2]!.matchAll(/\|\s*(?:(json)|([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"))/g)].map((m) =>
      m[1] ? ('json' as const) : { name: m[2]!, value: JSON.parse(m[3]!) as string },
    );
    const passes = (entry: StoredEntry): boolean => {
      const labels: Record<string, string> = { ...entry.labels, ...entry.metadata };
      for (const step of stages) {
        if (step === 'json') Object.assign(labels, jsonFields(entry.line, entry.labels));
        else if (labels[step.name] !== step.value) return false;
      }
      return true;
    };
    const start = BigInt(params.get('start') ?? '0');
    const end = params.has('end') ? BigInt(params.get('end')!) : BigInt(now() + 1) * 1_000_000n;
    const byStream = new Map<string, { stream: Record<string, string>; values: string[][] }>();
    for (const entry of stored) {
      if (entry.tenant !== tenant || entry.timestampNs < start || entry.timestampNs > end) continue;
      if (!includes(entry.labels, selector) || !passes(entry)) continue;
      const key = canonicalLabels(entry.labels);
      let stream = byStream.get(key);
      if (!stream) byStream.set(key, (stream = { stream: entry.labels, values: [] }));
      stream.values.push([String(entry.timestampNs), entry.line]);
    }
    const result = { status: 'success', data: { resultType: 'streams', result: [...byStream.values()] } };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result));
  }

  function validateAndStore(tenant: string, streams: readonly PushStream<EntryShape>[]): string[] {
    const errors: string[] = [];
    const nowNs = BigInt(now()) * 1_000_000n;
    const oldest = limits.rejectOldMs > 0 ? nowNs - BigInt(limits.rejectOldMs) * 1_000_000n : undefined;
    const newestAllowed = nowNs + BigInt(limits.gracePeriodMs) * 1_000_000n;
    for (const stream of streams) {
      let labels: Record<string, string>;
      try {
        labels = stream.labelObject ?? parseLabelString(stream.labels);
        if (stream.labelObject) for (const name of Object.keys(labels)) parseLabelString(`{${name}=""}`);
      } catch (err) {
        if (err instanceof LabelsError) {
          errors.push(`Error parsing labels '${stream.labels || JSON.stringify(stream.labelObject)}' with error: ${err.message}`);
          continue;
        }
        throw err;
      }
      const names = Object.keys(labels).filter((name) => labels[name] !== '');
      const text = canonicalLabels(labels);
      if (names.length === 0) {
        errors.push('error at least one label pair is required per stream');
        continue;
      }
      if (names.length > limits.maxLabelNames) {
        errors.push(`entry for stream '${text}' has ${names.length} label names; limit ${limits.maxLabelNames}`);
        continue;
      }
      const key = tenant + '\u0000' + text;
      for (const entry of stream.entries) {
        const lineBytes = entry.lineBytes;
        if (lineBytes > limits.maxLineSize) {
          errors.push(
            `Max entry size '${limits.maxLineSize}' bytes exceeded for stream '${text}' while adding an entry with length '${lineBytes}' bytes`,
          );
          continue;
        }
        if (!limits.allowStructuredMetadata && entry.metadataPairs > 0) {
          errors.push(
            `stream '${text}' includes structured metadata, but this feature is disallowed. Please see \`limits_config.structured_metadata\` or contact your Loki administrator to enable it.`,
          );
          continue;
        }
        if (oldest !== undefined && entry.timestampNs < oldest) {
          errors.push(
            `entry for stream '${text}' has timestamp too old: ${isoTime(entry.timestampNs)}, oldest acceptable timestamp is: ${isoTime(oldest)}`,
          );
          continue;
        }
        if (entry.timestampNs > newestAllowed) {
          errors.push(`entry for stream '${text}' has timestamp too new: ${isoTime(entry.timestampNs)}`);
          continue;
        }
        const latest = newest.get(key);
        const behind = latest !== undefined ? latest - BigInt(limits.outOfOrderWindowMs) * 1_000_000n : undefined;
        if (behind !== undefined && entry.timestampNs < behind) {
          errors.push(
            `entry with timestamp ${isoTime(entry.timestampNs)} ignored, reason: 'entry too far behind, entry timestamp is: ${isoTime(entry.timestampNs)}, oldest acceptable timestamp is: ${isoTime(behind)}', for stream: ${text}`,
          );
          continue;
        }
        if (latest === undefined || entry.timestampNs > latest) newest.set(key, entry.timestampNs);
        acceptedEntries++;
        if (keepEntries && isDecoded(entry))
          stored.push({ tenant, labels, timestampNs: entry.timestampNs, line: entry.line, metadata: entry.metadata });
      }
    }
    return errors;
  }

  const port = await listen(server, 0);
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  let closed = false;

  return {
    url,
    pushUrl: url + PUSH_PATH,
    port,
    get acceptedEntries() {
      return acceptedEntries;
    },
    get requests() {
      return requestLog.length;
    },
    requestLog,
    streams(tenant) {
      const byStream = new Map<string, StoredStream>();
      for (const entry of stored) {
        if (tenant !== undefined && entry.tenant !== tenant) continue;
        const key = entry.tenant + '\u0000' + canonicalLabels(entry.labels);
        let stream = byStream.get(key);
        if (!stream) byStream.set(key, (stream = { labels: entry.labels, entries: [] }));
        stream.entries.push(entry);
      }
      return [...byStream.values()];
    },
    entries(tenant) {
      return stored.filter((entry) => tenant === undefined || entry.tenant === tenant);
    },
    query(labels, queryOptions = {}) {
      return stored.filter(
        (entry) =>
          (queryOptions.tenant === undefined || entry.tenant === queryOptions.tenant) &&
          includes(entry.labels, labels) &&
          includes(entry.metadata, queryOptions.metadata ?? {}),
      );
    },
    async fail(mode, failOptions = {}) {
      if (mode === 'down') {
        failure = undefined;
        await stop(server, sockets);
        return;
      }
      failure = { mode, options: failOptions, left: failOptions.times ?? Infinity, skip: failOptions.after ?? 0 };
    },
    async recover() {
      failure = undefined;
      if (!server.listening && !closed) await listen(server, port);
    },
    async close() {
      if (closed) return;
      closed = true;
      failure = undefined;
      if (server.listening) await stop(server, sockets);
    },
  };
}

class UnsupportedMediaType extends Error {}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- snappyjs ships no type declarations to import by
const snappyjsUncompress = (require('snappyjs') as { uncompress: (input: Uint8Array) => Uint8Array }).uncompress;

function decode(
  req: http.IncomingMessage,
  body: Buffer,
  readProto: (plain: Uint8Array) => PushStream<EntryShape>[],
  snappyUncompress: (input: Uint8Array) => Uint8Array,
): PushStream<EntryShape>[] {
  const contentType = (header(req, 'content-type') ?? '').split(';')[0]!.trim();
  const encoding = header(req, 'content-encoding');
  let raw = body;
  if (encoding === 'gzip') raw = gunzipSync(body);
  else if (encoding && encoding !== 'identity') throw new UnsupportedMediaType(`Content-Encoding ${encoding} is not supported`);
  if (contentType === 'application/json') return decodePushJson(raw.toString('utf8'));
  if (contentType === 'application/x-protobuf' || contentType === '') {
    let plain: Uint8Array;
    try {
      plain = snappyUncompress(raw);
    } catch (err) {
      throw new DecodeError(`snappy: ${(err as Error).message}`);
    }
    return readProto(plain);
  }
  throw new UnsupportedMediaType(`unsupported Content-Type ${contentType}`);
}

function pushSize(streams: readonly PushStream<EntryShape>[]): { entries: number; entryBytes: number } {
  let entries = 0;
  let entryBytes = 0;
  for (const stream of streams) {
    entries += stream.entries.length;
    for (const entry of stream.entries) entryBytes += entry.lineBytes + entry.metadataBytes;
  }
  return { entries, entryBytes };
}

/** Loki's `| json` without arguments: every scalar leaf, nested keys joined with `_`; a line that is not a JSON object gives none. */
function jsonFields(line: string, streamLabels: Record<string, string>): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { __error__: 'JSONParserErr' };
  }
  const out: Record<string, string> = {};
  const walk = (value: unknown, prefix: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, prefix === '' ? sanitize(key) : `${prefix}_${sanitize(key)}`);
    } else if (prefix !== '' && (value === null || typeof value !== 'object')) {
      out[prefix in streamLabels ? `${prefix}_extracted` : prefix] =
        value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    }
  };
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) walk(parsed, '');
  return out;
}

function sanitize(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

function includes(have: Record<string, string>, want: Record<string, string>): boolean {
  for (const [name, value] of Object.entries(want)) if (have[name] !== value) return false;
  return true;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isoTime(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the listener and cuts every open connection, so clients really see the server go away. */
function stop(server: http.Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  });
}
