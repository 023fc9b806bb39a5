import { setAttribute, type AnyValue, type KeyValue, type LogRecord } from '@sluice/pdata';
import { DEFAULT_KEYS, parseId, parseSeverity, parseTimestamp } from './fields';

export type FieldKeys = { [K in keyof typeof DEFAULT_KEYS]: readonly string[] };

type Role = 'timestamp' | 'severity' | 'message' | 'trace_id' | 'span_id';

/**
 * Moves the fields of a parsed line into the record: well-known keys become the timestamp,
 * severity, ids and body; everything else (and any well-known value that does not parse)
 * becomes an attribute. The first key of a role that parses wins.
 */
export function liftFields(record: LogRecord, fields: Iterable<[string, unknown]>, roles: ReadonlyMap<string, Role>): void {
  const done = new Set<Role>();
  const rest: KeyValue[] = [];
  for (const [key, raw] of fields) {
    const role = roles.get(key);
    if (role !== undefined && !done.has(role) && lift(record, role, raw)) {
      done.add(role);
      continue;
    }
    rest.push({ key, value: jsonToAnyValue(raw) });
  }
  for (const kv of rest) setAttribute(record.attributes, kv.key, kv.value);
}

function lift(record: LogRecord, role: Role, raw: unknown): boolean {
  switch (role) {
    case 'timestamp': {
      const time = parseTimestamp(raw);
      if (time !== undefined) record.timeUnixNano = time;
      return time !== undefined;
    }
    case 'severity': {
      const severity = parseSeverity(raw);
      if (severity) {
        record.severityNumber = severity.number;
        record.severityText = severity.text;
      }
      return severity !== undefined;
    }
    case 'message':
      record.body = jsonToAnyValue(raw);
      return true;
    case 'trace_id': {
      const id = parseId(raw, 32);
      if (id) record.traceId = id;
      return id !== undefined;
    }
    case 'span_id': {
      const id = parseId(raw, 16);
      if (id) record.spanId = id;
      return id !== undefined;
    }
  }
}

export function roleMap(keys: FieldKeys): Map<string, Role> {
  const roles = new Map<string, Role>();
  for (const role of Object.keys(keys) as Role[]) for (const key of keys[role]) if (!roles.has(key)) roles.set(key, role);
  return roles;
}

/** JSON → AnyValue: integers become OTLP ints, objects nested maps. */
export function jsonToAnyValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(jsonToAnyValue);
  if (typeof value === 'object') {
    return { kvlist: Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, value: jsonToAnyValue(v) })) };
  }
  // Objects, strings, numbers and booleans were answered above: what is left is a primitive JSON never produces.
  const primitive = value as bigint | symbol;
  return String(primitive);
}
