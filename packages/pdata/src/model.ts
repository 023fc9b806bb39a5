/**
 * The OTLP-shaped logs data model: ResourceLogs → ScopeLogs → LogRecord.
 *
 * Receivers decode straight into these plain objects and exporters encode straight out of them,
 * so the shapes stay close to the protobuf messages. Two choices keep it lossless and cheap:
 *
 * - 64-bit values are `bigint` (timestamps in nanoseconds and `int` AnyValues); `number` is only
 *   ever an OTLP `double`, so int 1 and double 1.0 stay distinct through a round trip.
 * - trace and span ids are lowercase hex strings ('' when absent): every exporter but OTLP
 *   wants hex, and OTLP/JSON carries hex already.
 */

/** An OTLP AnyValue. `null` is the empty value (an AnyValue with no field set). */
export type AnyValue =
  | string
  | boolean
  | number // double
  | bigint // int64
  | Uint8Array // bytes
  | AnyValue[] // array_value
  | KeyValueList // kvlist_value
  | null;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** A nested map. A wrapper, not a plain object, so that order and duplicate keys survive. */
export interface KeyValueList {
  kvlist: KeyValue[];
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface LogRecord {
  /** Nanoseconds since the epoch; 0n when the sender did not set it. */
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  /** 32 lowercase hex characters, or '' */
  traceId: string;
  /** 16 lowercase hex characters, or '' */
  spanId: string;
  eventName: string;
}

export interface ScopeLogs {
  scope: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

/** One unit of data flowing through a pipeline: the body of an ExportLogsServiceRequest. */
export interface LogsData {
  resourceLogs: ResourceLogs[];
}

/** What the receiver knew about the request, carried beside the data (otelcol's client.Info). */
export interface ClientContext {
  /** Peer address, e.g. `127.0.0.1`. */
  address?: string;
  /** Request headers / gRPC metadata, lowercased keys; only when the receiver's `include_metadata` is on. */
  metadata?: Readonly<Record<string, readonly string[]>>;
  /** What an authenticator established, e.g. `{ subject: ... }`. */
  auth?: Readonly<Record<string, string>>;
}

/** Data that knows its record count without being walked (a request whose decoding is deferred). */
export interface CountedLogsData extends LogsData {
  readonly knownLogRecordCount: number | undefined;
}

export function countLogRecords(logs: LogsData): number {
  const known = (logs as Partial<CountedLogsData>).knownLogRecordCount;
  if (known !== undefined) return known;
  let count = 0;
  for (const rl of logs.resourceLogs) {
    for (const sl of rl.scopeLogs) count += sl.logRecords.length;
  }
  return count;
}

export function emptyResource(): Resource {
  return { attributes: [], droppedAttributesCount: 0 };
}

export function emptyScope(): InstrumentationScope {
  return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
}

/**
 * A record with every field at its default, always built by this one literal so all records
 * share one hidden class (decoders fill it in place: no spread on the hot path).
 */
export function emptyLogRecord(): LogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
}

export function newLogRecord(fields: Partial<LogRecord> = {}): LogRecord {
  return Object.assign(emptyLogRecord(), fields);
}

export function isKeyValueList(value: AnyValue): value is KeyValueList {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The first attribute with this key, or undefined. Attribute lists are short: a scan is the fastest lookup. */
export function getAttribute(attributes: readonly KeyValue[], key: string): AnyValue | undefined {
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i]!.key === key) return attributes[i]!.value;
  }
  return undefined;
}

/** Sets (replacing the first occurrence) or appends an attribute. */
export function setAttribute(attributes: KeyValue[], key: string, value: AnyValue): void {
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i]!.key === key) {
      attributes[i] = { key, value };
      return;
    }
  }
  attributes.push({ key, value });
}

/** Removes every attribute with this key; returns how many were removed. */
export function deleteAttribute(attributes: KeyValue[], key: string): number {
  let kept = 0;
  const before = attributes.length;
  for (let i = 0; i < before; i++) {
    if (attributes[i]!.key !== key) attributes[kept++] = attributes[i]!;
  }
  attributes.length = kept;
  return before - kept;
}

/**
 * A plain-JSON view of an AnyValue, for log lines meant for people and jq: maps become objects,
 * int64 becomes a number when it is safe and a string otherwise, bytes become base64.
 */
export function anyValueToJson(value: AnyValue): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return bigintToJson(value);
    return value;
  }
  if (Array.isArray(value)) return value.map(anyValueToJson);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return keyValuesToJson(value.kvlist);
}

export function keyValuesToJson(attributes: readonly KeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i]!;
    setOwnProperty(out, kv.key, anyValueToJson(kv.value));
  }
  return out;
}

/**
 * `target[key] = value` for a key that came from data. Assigning `__proto__` on a plain object
 * would set its prototype and drop the key from JSON; a null-prototype object would avoid that
 * but is a slow dictionary object, so only that one key is defined as an own property.
 */
export function setOwnProperty<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The text form of an AnyValue: strings as they are, everything else as JSON. */
export function anyValueToString(value: AnyValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(anyValueToJson(value));
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function bigintToJson(value: bigint): number | string {
  return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString();
}

/**
 * A deep copy, for fan-out to pipelines whose processors modify records in place (otelcol
 * clones for the same reason). Byte values are shared: nothing modifies them in place.
 */
export function cloneLogsData(logs: LogsData): LogsData {
  return {
    resourceLogs: logs.resourceLogs.map((rl) => ({
      resource: { attributes: cloneKeyValues(rl.resource.attributes), droppedAttributesCount: rl.resource.droppedAttributesCount },
      schemaUrl: rl.schemaUrl,
      scopeLogs: rl.scopeLogs.map((sl) => ({
        scope: { ...sl.scope, attributes: cloneKeyValues(sl.scope.attributes) },
        schemaUrl: sl.schemaUrl,
        logRecords: sl.logRecords.map((r) => ({ ...r, body: cloneAnyValue(r.body), attributes: cloneKeyValues(r.attributes) })),
      })),
    })),
  };
}

function cloneKeyValues(attributes: readonly KeyValue[]): KeyValue[] {
  return attributes.map((kv) => ({ key: kv.key, value: cloneAnyValue(kv.value) }));
}

function cloneAnyValue(value: AnyValue): AnyValue {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(cloneAnyValue);
  return { kvlist: cloneKeyValues(value.kvlist) };
}
