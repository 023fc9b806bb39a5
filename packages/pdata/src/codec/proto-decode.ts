import { SluiceError } from '../errors';
import { emptyLogRecord, emptyResource, emptyScope } from '../model';
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData, Resource, ResourceLogs, ScopeLogs } from '../model';
import { MAX_DEPTH, ProtoReader } from './proto-reader';

/*
 * Decodes OTLP logs protobuf straight into the data model. Each message reader switches on the
 * whole tag (field number << 3 | wire type), so the expected case is one comparison; anything
 * else goes to `skip`, which rejects a known field with the wrong wire type and skips unknown ones.
 * Field numbers are from opentelemetry/proto (see ../../proto).
 */

// Field names by number, for error messages about known fields (the scan and the JSON transcoder skip with them too).
export const REQUEST_FIELDS = names({ 1: 'resource_logs' });
export const RESOURCE_LOGS_FIELDS = names({ 1: 'resource', 2: 'scope_logs', 3: 'schema_url' });
export const RESOURCE_FIELDS = names({ 1: 'attributes', 2: 'dropped_attributes_count' });
export const SCOPE_LOGS_FIELDS = names({ 1: 'scope', 2: 'log_records', 3: 'schema_url' });
export const SCOPE_FIELDS = names({ 1: 'name', 2: 'version', 3: 'attributes', 4: 'dropped_attributes_count' });
export const LOG_RECORD_FIELDS = names({
  1: 'time_unix_nano',
  2: 'severity_number',
  3: 'severity_text',
  5: 'body',
  6: 'attributes',
  7: 'dropped_attributes_count',
  8: 'flags',
  9: 'trace_id',
  10: 'span_id',
  11: 'observed_time_unix_nano',
  12: 'event_name',
});
export const KEY_VALUE_FIELDS = names({ 1: 'key', 2: 'value' });
export const ANY_VALUE_FIELDS = names({
  1: 'string_value',
  2: 'bool_value',
  3: 'int_value',
  4: 'double_value',
  5: 'array_value',
  6: 'kvlist_value',
  7: 'bytes_value',
});
export const VALUES_FIELDS = names({ 1: 'values' });

/**
 * Decodes an ExportLogsServiceRequest (or LogsData: the same field 1) protobuf body.
 * Throws SluiceError('SLUICE_BAD_DATA') saying what was wrong and at which byte.
 */
export function decodeLogsProto(bytes: Uint8Array): LogsData {
  const r = new ProtoReader(bytes);
  const resourceLogs: ResourceLogs[] = [];
  try {
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === 0x0a) resourceLogs.push(readResourceLogs(r, r.lengthEnd()));
      else r.skip(tag, REQUEST_FIELDS);
    }
  } catch (err) {
    throw asBadData(err);
  }
  return { resourceLogs };
}

function readResourceLogs(r: ProtoReader, end: number): ResourceLogs {
  const outer = r.end;
  r.end = end;
  const out: ResourceLogs = { resource: emptyResource(), scopeLogs: [], schemaUrl: '' };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        readResource(r, r.lengthEnd(), out.resource);
        break;
      case 0x12:
        out.scopeLogs.push(readScopeLogs(r, r.lengthEnd()));
        break;
      case 0x1a:
        out.schemaUrl = r.string();
        break;
      default:
        r.skip(tag, RESOURCE_LOGS_FIELDS);
    }
  }
  r.end = outer;
  return out;
}

/** Reads into `into`: a message field sent twice merges, as protobuf specifies. */
export function readResource(r: ProtoReader, end: number, into: Resource): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        into.attributes.push(readKeyValue(r, r.lengthEnd()));
        break;
      case 0x10:
        into.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skip(tag, RESOURCE_FIELDS);
    }
  }
  r.end = outer;
}

function readScopeLogs(r: ProtoReader, end: number): ScopeLogs {
  const outer = r.end;
  r.end = end;
  const out: ScopeLogs = { scope: emptyScope(), logRecords: [], schemaUrl: '' };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        readScope(r, r.lengthEnd(), out.scope);
        break;
      case 0x12:
        out.logRecords.push(readLogRecord(r, r.lengthEnd()));
        break;
      case 0x1a:
        out.schemaUrl = r.string();
        break;
      default:
        r.skip(tag, SCOPE_LOGS_FIELDS);
    }
  }
  r.end = outer;
  return out;
}

function readScope(r: ProtoReader, end: number, into: InstrumentationScope): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        into.name = r.string();
        break;
      case 0x12:
        into.version = r.string();
        break;
      case 0x1a:
        into.attributes.push(readKeyValue(r, r.lengthEnd()));
        break;
      case 0x20:
        into.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skip(tag, SCOPE_FIELDS);
    }
  }
  r.end = outer;
}

function readLogRecord(r: ProtoReader, end: number): LogRecord {
  const outer = r.end;
  r.end = end;
  const out = emptyLogRecord();
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x09:
        out.timeUnixNano = r.fixed64();
        break;
      case 0x10:
        out.severityNumber = r.int32();
        break;
      case 0x1a:
        out.severityText = r.string();
        break;
      case 0x2a:
        out.body = readAnyValue(r, r.lengthEnd());
        break;
      case 0x32:
        out.attributes.push(readKeyValue(r, r.lengthEnd()));
        break;
      case 0x38:
        out.droppedAttributesCount = r.uint32();
        break;
      case 0x45:
        out.flags = r.fixed32();
        break;
      case 0x4a:
        out.traceId = r.id(16, 'trace_id');
        break;
      case 0x52:
        out.spanId = r.id(8, 'span_id');
        break;
      case 0x59:
        out.observedTimeUnixNano = r.fixed64();
        break;
      case 0x62:
        out.eventName = r.string();
        break;
      default:
        r.skip(tag, LOG_RECORD_FIELDS);
    }
  }
  r.end = outer;
  return out;
}

function readKeyValue(r: ProtoReader, end: number): KeyValue {
  const outer = r.end;
  r.end = end;
  let key = '';
  let value: AnyValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) key = r.string();
    else if (tag === 0x12) value = readAnyValue(r, r.lengthEnd());
    else r.skip(tag, KEY_VALUE_FIELDS);
  }
  r.end = outer;
  return { key, value };
}

export function readAnyValue(r: ProtoReader, end: number): AnyValue {
  if (++r.depth > MAX_DEPTH) throw r.error(`values nested deeper than ${MAX_DEPTH} at byte ${r.pos}`);
  const outer = r.end;
  r.end = end;
  // A oneof: the last field on the wire wins; none at all is the empty value.
  let value: AnyValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        value = r.string();
        break;
      case 0x10:
        value = r.bool();
        break;
      case 0x18:
        value = r.int64();
        break;
      case 0x21:
        value = r.double();
        break;
      case 0x2a:
        value = readArrayValue(r, r.lengthEnd());
        break;
      case 0x32:
        value = { kvlist: readKeyValueList(r, r.lengthEnd()) };
        break;
      case 0x3a:
        value = r.bytes();
        break;
      default:
        r.skip(tag, ANY_VALUE_FIELDS);
    }
  }
  r.end = outer;
  r.depth--;
  return value;
}

function readArrayValue(r: ProtoReader, end: number): AnyValue[] {
  const outer = r.end;
  r.end = end;
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) values.push(readAnyValue(r, r.lengthEnd()));
    else r.skip(tag, VALUES_FIELDS);
  }
  r.end = outer;
  return values;
}

function readKeyValueList(r: ProtoReader, end: number): KeyValue[] {
  const outer = r.end;
  r.end = end;
  const values: KeyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) values.push(readKeyValue(r, r.lengthEnd()));
    else r.skip(tag, VALUES_FIELDS);
  }
  r.end = outer;
  return values;
}

function names(byNumber: Record<number, string>): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const [field, name] of Object.entries(byNumber)) out[Number(field)] = name;
  return out;
}

/** The reader throws coded errors; anything else is a bug that still must reach the client as bad data. */
export function asBadData(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  return new SluiceError('SLUICE_BAD_DATA', `invalid OTLP protobuf: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
