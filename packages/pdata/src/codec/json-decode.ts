import { SluiceError } from '../errors';
import { emptyResource, emptyScope } from '../model';
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData, Resource, ResourceLogs, ScopeLogs } from '../model';
import { exactInteger, markedNumber, quoteLongNumbers } from './json-exact-numbers';
import { MAX_DEPTH } from './proto-reader';
import { SEVERITY_NUMBER_BY_NAME } from '../severity';

/*
 * OTLP/JSON → data model: JSON.parse, then one walk that builds the model directly. Every field is
 * looked up under its JSON (lowerCamelCase) name and then its protobuf (snake_case) name, as
 * protojson accepts both; unknown fields are ignored, as the OTLP spec asks of receivers.
 * A wrong value throws PathError, which each enclosing level extends with its step, so the
 * final message names the exact place: `resourceLogs[0].scopeLogs[1].logRecords[3].timeUnixNano`.
 * Long number tokens reach the walk as marked strings holding their exact text (json-exact-numbers).
 */

type Json = Record<string, unknown>;

/**
 * A wrong value somewhere in the tree; `steps` grows outwards as the error passes each level.
 * Made only for bad data, so the stack an Error captures costs the decode path nothing.
 */
class PathError extends Error {
  readonly steps: string[];
  constructor(
    step: string,
    readonly detail: string,
  ) {
    super(detail);
    this.steps = [step];
  }
}

/**
 * Decodes OTLP/JSON (an ExportLogsServiceRequest or LogsData object). Throws
 * SluiceError('SLUICE_BAD_DATA') naming the JSON path of the first wrong value.
 */
export function decodeLogsJson(text: string | Uint8Array): LogsData {
  // JSON.parse rejects a byte order mark; some clients still send one.
  const source = typeof text === 'string' ? (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) : utf8(text);
  try {
    return walk(parse(source));
  } catch (err) {
    if (err !== NEEDS_EXACT_TEXT) throw err;
  }
  // A 64-bit field held a number JSON.parse may have rounded: read the body again with every
  // long number token as its exact text. Only such bodies pay for the scan.
  marked = true;
  try {
    return walk(parse(quoteLongNumbers(source)));
  } finally {
    marked = false;
  }
}

function parse(text: string): Json {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_DATA', `invalid JSON: ${(err as Error).message}`);
  }
  if (!isObject(root))
    throw new SluiceError('SLUICE_BAD_DATA', `invalid OTLP/JSON: expected an object at the top level, got ${describe(root)}`);
  return root;
}

function walk(root: Json): LogsData {
  try {
    return { resourceLogs: list(root.resourceLogs ?? root.resource_logs, 'resourceLogs', resourceLogsFromJson) };
  } catch (err) {
    if (err === NEEDS_EXACT_TEXT) throw err;
    if (err instanceof PathError) throw new SluiceError('SLUICE_BAD_DATA', `invalid OTLP/JSON: ${joinPath(err.steps)}: ${err.detail}`);
    throw new SluiceError('SLUICE_BAD_DATA', `invalid OTLP/JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Thrown by the first walk when it meets an int64 number beyond 2^53, to restart with exact text.
 * One instance made at load: throwing it captures no stack.
 */
const NEEDS_EXACT_TEXT = new Error('an int64 number beyond 2^53: decode again with exact number text');

/**
 * Whether the walk in progress reads a body with long numbers rewritten as marked strings.
 * Decoding is synchronous, so a module flag is safe; it is false on the common path.
 */
let marked = false;

/** The exact text of a long number token, when `value` is one. */
function numberText(value: unknown): string | undefined {
  return marked ? markedNumber(value) : undefined;
}

function utf8(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', start);
}

function joinPath(steps: string[]): string {
  let path = '';
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step === '') continue;
    path += path === '' || step.startsWith('[') ? step : `.${step}`;
  }
  return path;
}

/** Decodes a repeated field; an error inside element i gets `name[i]` in its path. */
function list<T>(value: unknown, name: string, decode: (item: Json, depth: number) => T, depth = 0): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new PathError(name, `expected an array, got ${describe(value)}`);
  const out: T[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isObject(item)) throw new PathError(`${name}[${i}]`, `expected an object, got ${describe(item)}`);
    try {
      out.push(decode(item, depth));
    } catch (err) {
      if (err instanceof PathError) err.steps.push(`${name}[${i}]`);
      throw err;
    }
  }
  return out;
}

/** Decodes a singular message field; `undefined` when absent. */
function message<T>(value: unknown, name: string, decode: (item: Json) => T): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new PathError(name, `expected an object, got ${describe(value)}`);
  try {
    return decode(value);
  } catch (err) {
    if (err instanceof PathError) err.steps.push(name);
    throw err;
  }
}

function resourceLogsFromJson(o: Json): ResourceLogs {
  return {
    resource: message(o.resource, 'resource', resourceFromJson) ?? emptyResource(),
    scopeLogs: list(o.scopeLogs ?? o.scope_logs, 'scopeLogs', scopeLogsFromJson),
    schemaUrl: string(o.schemaUrl ?? o.schema_url, 'schemaUrl'),
  };
}

function resourceFromJson(o: Json): Resource {
  // Same property order as emptyResource, so decoded and absent resources share one hidden class.
  return {
    attributes: list(o.attributes, 'attributes', keyValueFromJson),
    droppedAttributesCount: uint32(o.droppedAttributesCount ?? o.dropped_attributes_count, 'droppedAttributesCount'),
  };
}

function scopeLogsFromJson(o: Json): ScopeLogs {
  return {
    scope: message(o.scope, 'scope', scopeFromJson) ?? emptyScope(),
    logRecords: list(o.logRecords ?? o.log_records, 'logRecords', logRecordFromJson),
    schemaUrl: string(o.schemaUrl ?? o.schema_url, 'schemaUrl'),
  };
}

function scopeFromJson(o: Json): InstrumentationScope {
  // Same property order as emptyScope, for one hidden class.
  return {
    name: string(o.name, 'name'),
    version: string(o.version, 'version'),
    attributes: list(o.attributes, 'attributes', keyValueFromJson),
    droppedAttributesCount: uint32(o.droppedAttributesCount ?? o.dropped_attributes_count, 'droppedAttributesCount'),
  };
}

function logRecordFromJson(o: Json): LogRecord {
  // Same property order as emptyLogRecord, so every record shares one hidden class.
  return {
    timeUnixNano: fixed64(o.timeUnixNano ?? o.time_unix_nano, 'timeUnixNano'),
    observedTimeUnixNano: fixed64(o.observedTimeUnixNano ?? o.observed_time_unix_nano, 'observedTimeUnixNano'),
    severityNumber: severityNumber(o.severityNumber ?? o.severity_number),
    severityText: string(o.severityText ?? o.severity_text, 'severityText'),
    body: o.body == null ? null : anyValueIn(o.body, 'body', 0),
    attributes: list(o.attributes, 'attributes', keyValueFromJson),
    droppedAttributesCount: uint32(o.droppedAttributesCount ?? o.dropped_attributes_count, 'droppedAttributesCount'),
    flags: uint32(o.flags, 'flags'),
    traceId: hexId(o.traceId ?? o.trace_id, 32, 'traceId'),
    spanId: hexId(o.spanId ?? o.span_id, 16, 'spanId'),
    eventName: string(o.eventName ?? o.event_name, 'eventName'),
  };
}

function keyValueFromJson(o: Json, depth: number): KeyValue {
  return {
    key: string(o.key, 'key'),
    value: o.value == null ? null : anyValueIn(o.value, 'value', depth),
  };
}

/** An AnyValue held by field `name`. */
function anyValueIn(value: unknown, name: string, depth: number): AnyValue {
  if (!isObject(value)) throw new PathError(name, `expected an object, got ${describe(value)}`);
  try {
    return anyValueFromJson(value, depth + 1);
  } catch (err) {
    if (err instanceof PathError) err.steps.push(name);
    throw err;
  }
}

function anyValueFromJson(o: Json, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new PathError('', `values nested deeper than ${MAX_DEPTH}`);
  let result: AnyValue = null;
  let found: string | undefined;
  // A oneof: the object carries one of these keys (or none: the empty value).
  for (const key in o) {
    const v = o[key];
    if (v === null) continue;
    let value: AnyValue;
    switch (key) {
      case 'stringValue':
      case 'string_value':
        value = string(v, key);
        break;
      case 'boolValue':
      case 'bool_value':
        if (typeof v !== 'boolean') throw new PathError(key, `expected true or false, got ${describe(v)}`);
        value = v;
        break;
      case 'intValue':
      case 'int_value':
        value = int64(v, key);
        break;
      case 'doubleValue':
      case 'double_value':
        value = double(v, key);
        break;
      case 'arrayValue':
      case 'array_value':
        value = message(v, key, (a) => list(a.values, 'values', anyValueFromJson, depth + 1)) ?? [];
        break;
      case 'kvlistValue':
      case 'kvlist_value':
        value = { kvlist: message(v, key, (m) => list(m.values, 'values', keyValueFromJson, depth)) ?? [] };
        break;
      case 'bytesValue':
      case 'bytes_value':
        value = bytes(v, key);
        break;
      default:
        continue; // unknown field: ignored
    }
    if (found !== undefined) throw new PathError(key, `only one value may be set, but ${found} is set too`);
    found = key;
    result = value;
  }
  return result;
}

function string(value: unknown, name: string): string {
  if (typeof value === 'string' && numberText(value) === undefined) return value;
  if (value === undefined || value === null) return '';
  throw new PathError(name, `expected a string, got ${describe(value)}`);
}

const INTEGER = /^-?\d{1,20}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * A 64-bit integer as protojson writes it (a decimal string) or as many senders do (a number),
 * always exact: a number beyond 2^53 restarts the decode with exact text; there a long token
 * comes as its text, and a short one (e.g. 1e18) is exactly its shortest decimal form.
 */
function bigintFrom(value: unknown, name: string, min: bigint, max: bigint, what: string): bigint {
  let result: bigint | undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) result = BigInt(value);
    else if (!marked && Number.isInteger(value)) throw NEEDS_EXACT_TEXT;
    else if (Number.isInteger(value)) result = exactInteger(String(value));
  } else if (typeof value === 'string') {
    const text = numberText(value);
    if (text !== undefined) result = exactInteger(text);
    else if (INTEGER.test(value)) result = BigInt(value);
  }
  if (result === undefined) throw new PathError(name, `expected ${what}, got ${describe(value)}`);
  if (result < min || result > max) throw new PathError(name, `${numberText(value) ?? String(value)} is out of range for ${what}`);
  return result;
}

function int64(value: unknown, name: string): bigint {
  return bigintFrom(value, name, INT64_MIN, INT64_MAX, 'a 64-bit integer');
}

function fixed64(value: unknown, name: string): bigint {
  if (value === undefined || value === null) return 0n;
  return bigintFrom(value, name, 0n, UINT64_MAX, 'an unsigned 64-bit integer');
}

function uint32(value: unknown, name: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && INTEGER.test(value) ? Number(value) : plainNumber(value);
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  throw new PathError(name, `expected an unsigned 32-bit integer, got ${describe(value)}`);
}

function severityNumber(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const n = plainNumber(value);
  if (typeof n === 'number' && Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return n;
  if (typeof value === 'string') {
    const byName = SEVERITY_NUMBER_BY_NAME.get(value);
    if (byName !== undefined) return byName;
  }
  throw new PathError('severityNumber', `expected a severity number or a SEVERITY_NUMBER_* name, got ${describe(value)}`);
}

/**
 * A long number token in a 32-bit field: its value when it is an integer that fits (e.g.
 * `5.000000000000000`), else a value every 32-bit range check refuses.
 */
function plainNumber(value: unknown): unknown {
  const text = numberText(value);
  if (text === undefined) return value;
  const integer = exactInteger(text);
  return integer !== undefined && integer >= -0x80000000n && integer <= 0xffffffffn ? Number(integer) : NaN;
}

const FLOAT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A double: a JSON number, or one of the strings protojson uses for what JSON cannot write. */
function double(value: unknown, name: string): number {
  if (typeof value === 'number') return value;
  const text = numberText(value);
  if (text !== undefined) return Number(text);
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (FLOAT.test(value)) return Number(value);
  }
  throw new PathError(name, `expected a number, got ${describe(value)}`);
}

// protojson accepts standard and URL-safe base64, with or without padding.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function bytes(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw new PathError(name, `expected base64 bytes, got ${describe(value)}`);
  }
  const buf = Buffer.from(value, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const LOWER_HEX = /^[0-9a-f]*$/;
const ANY_HEX = /^[0-9a-fA-F]*$/;

/** A trace or span id: hex (not base64: OTLP/JSON differs from protojson here), stored lowercase. */
function hexId(value: unknown, length: number, name: string): string {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'string' && value.length === length) {
    if (LOWER_HEX.test(value)) return value;
    if (ANY_HEX.test(value)) return value.toLowerCase();
  }
  throw new PathError(name, `expected ${length} hex characters, got ${describe(value)}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = numberText(value);
  if (text !== undefined) return text.length > 40 ? `${text.slice(0, 40)}…` : text;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  // Objects and strings were answered above: what is left is a primitive (from JSON, a number or a boolean).
  const primitive = value as number | boolean | bigint | symbol | undefined;
  return String(primitive);
}
