import { context, trace, TraceFlags, type Context, type HrTime } from '@opentelemetry/api';
import type { AnyValue, AnyValueMap } from '@opentelemetry/api-logs';

/** A logger's own fields, turned into what an OTel log record carries. */
export interface MappedFields {
  attributes: AnyValueMap;
  /** Set when the fields named a valid trace and span: the record belongs to that span. */
  context?: Context;
}

const MAX_DEPTH = 10;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Spellings seen in the wild (trace_id, traceId, trace-id, trace.id, TraceID) fold to one key.
 * Runs for every field of every line, so keys that cannot be an id (wrong length or first
 * letter) skip the string work.
 */
function foldKey(key: string): string {
  if (key.length < 6 || key.length > 11) return '';
  const first = key.charCodeAt(0) | 0x20; // lower-cased ASCII letter
  if (first !== 0x74 /* t */ && first !== 0x73 /* s */) return '';
  return key.replace(/[-_.]/g, '').toLowerCase();
}

function hexId(value: unknown, pattern: RegExp, zero: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.toLowerCase();
  return pattern.test(id) && id !== zero ? id : undefined;
}

/** Error → the semantic-convention exception attributes. Also accepts pino's serialized `err`. */
function exceptionAttributes(error: { name?: unknown; type?: unknown; message?: unknown; stack?: unknown }): AnyValueMap {
  const attributes: AnyValueMap = {};
  const type = error instanceof Error ? error.constructor.name || error.name : error.type;
  if (typeof type === 'string') attributes['exception.type'] = type;
  if (typeof error.message === 'string') attributes['exception.message'] = error.message;
  if (typeof error.stack === 'string') attributes['exception.stacktrace'] = error.stack;
  return attributes;
}

function looksLikeSerializedError(key: string, value: unknown): value is Record<string, unknown> {
  if (key !== 'err' && key !== 'error') return false;
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.message === 'string' && typeof candidate.stack === 'string';
}

/** Any JS value → an OTel AnyValue: objects stay maps, cycles and very deep nesting are cut. */
export function toAnyValue(value: unknown, seen: Set<object> = new Set(), depth = 0): AnyValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) return object.toISOString();
  if (object instanceof Uint8Array) return object;
  if (object instanceof Error) return exceptionAttributes(object);
  if (seen.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  seen.add(object);
  let result: AnyValue;
  if (Array.isArray(object)) {
    result = object.map((item) => toAnyValue(item, seen, depth + 1) ?? null);
  } else {
    const map: AnyValueMap = {};
    for (const [key, item] of Object.entries(object)) {
      const converted = toAnyValue(item, seen, depth + 1);
      if (converted !== undefined) map[key] = converted;
    }
    result = map;
  }
  seen.delete(object);
  return result;
}

/**
 * Fields → attributes. Trace ids the app logged itself are lifted onto the record (when both are
 * valid hex), and an error becomes exception.* attributes; everything else is kept as it was.
 */
export function mapFields(fields: Record<string, unknown>, skip: ReadonlySet<string>): MappedFields {
  const attributes: AnyValueMap = {};
  let traceId: string | undefined;
  let spanId: string | undefined;
  let traceFlags: number | undefined;
  const idKeys: string[] = [];
  for (const key of Object.keys(fields)) {
    if (skip.has(key)) continue;
    const value = fields[key];
    const folded = foldKey(key);
    if (folded === 'traceid' && traceId === undefined) {
      traceId = hexId(value, TRACE_ID, ZERO_TRACE_ID);
      if (traceId !== undefined) idKeys.push(key);
    } else if (folded === 'spanid' && spanId === undefined) {
      spanId = hexId(value, SPAN_ID, ZERO_SPAN_ID);
      if (spanId !== undefined) idKeys.push(key);
    } else if (folded === 'traceflags' && (typeof value === 'number' || typeof value === 'string')) {
      const flags = typeof value === 'number' ? value : parseInt(value, 16);
      if (Number.isInteger(flags) && flags >= 0 && flags <= 0xff) {
        traceFlags = flags;
        idKeys.push(key);
      }
    }
    if (value instanceof Error || looksLikeSerializedError(key, value)) {
      Object.assign(attributes, exceptionAttributes(value));
      continue;
    }
    const converted = toAnyValue(value);
    if (converted !== undefined) attributes[key] = converted;
  }
  if (traceId === undefined || spanId === undefined) return { attributes };
  // Lifted ids live on the record; repeating them as attributes would only cost bytes.
  for (const key of idKeys) delete attributes[key];
  const spanContext = { traceId, spanId, traceFlags: traceFlags ?? TraceFlags.SAMPLED, isRemote: true };
  return { attributes, context: trace.setSpanContext(context.active(), spanContext) };
}

/** Milliseconds since the epoch (fractions kept) → OTel HrTime, exact to the microsecond. */
export function millisToHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))];
}

/** A logger's time field (epoch ms, or an ISO / RFC 3339 string) → HrTime; undefined if unusable. */
export function timeField(value: unknown): HrTime | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return millisToHrTime(value);
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return millisToHrTime(ms);
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) return millisToHrTime(value.getTime());
  return undefined;
}
