import {
  ANY_VALUE_FIELDS,
  KEY_VALUE_FIELDS,
  LOG_RECORD_FIELDS,
  REQUEST_FIELDS,
  RESOURCE_FIELDS,
  RESOURCE_LOGS_FIELDS,
  SCOPE_FIELDS,
  SCOPE_LOGS_FIELDS,
  VALUES_FIELDS,
  asBadData,
} from './proto-decode';
import { isUtf8 } from 'node:buffer';
import { MAX_DEPTH, ProtoReader } from './proto-reader';
import { fastScanLogsProto } from './proto-scan-fast';

/*
 * Checks an OTLP logs protobuf body exactly as `decodeLogsProto` would, and counts it, without
 * building anything: the receiver can then acknowledge or refuse a request whose decoding it
 * defers (an exporter that forwards or transcodes the bytes never decodes them). It walks the
 * same messages and fields with the same reader, so it throws the same error for the same bytes.
 *
 * Decoding never rejects a string (bad UTF-8 becomes U+FFFD) and keeps the low 32 bits of an
 * oversized tag or length, so the scan does not look at strings unless asked: `forwarding` also
 * says whether other OTLP implementations would read the bytes the same way, which forwarding
 * them as they are requires: every string valid UTF-8, every tag and length within 32 bits, no
 * field this version of OTLP does not know (its strings cannot be checked; decoding drops it, as
 * otelcol does), and no message field sent twice where protobuf merges and the decoder keeps the
 * last (a record's body, a key-value's value, an AnyValue with more than one member).
 *
 * Most requests take the fast path (proto-scan-fast.ts), which gives up at anything unusual; this
 * walk then judges the request.
 */

export interface LogsProtoShape {
  resourceLogs: number;
  logRecords: number;
  /** With `forwarding`: the bytes mean the same to any protobuf parser. */
  forwardable: boolean;
}

interface Scan extends LogsProtoShape {
  checkStrings: boolean;
}

/** Throws SluiceError('SLUICE_BAD_DATA') where `decodeLogsProto` would. */
export function scanLogsProto(bytes: Uint8Array, options: { forwarding?: boolean } = {}): LogsProtoShape {
  const checkStrings = options.forwarding ?? false;
  const fast = fastScanLogsProto(bytes, checkStrings);
  if (fast) return { resourceLogs: fast.resourceLogs, logRecords: fast.logRecords, forwardable: checkStrings };
  return exactScanLogsProto(bytes, checkStrings);
}

/** The scan with every judgement: what the fast path gives up on. Exported for its tests. */
export function exactScanLogsProto(bytes: Uint8Array, checkStrings: boolean): LogsProtoShape {
  const r = new ProtoReader(bytes);
  const scan: Scan = { resourceLogs: 0, logRecords: 0, forwardable: checkStrings, checkStrings };
  try {
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === 0x0a) {
        scanResourceLogs(r, r.lengthEnd(), scan);
        scan.resourceLogs++;
      } else skipOther(r, tag, REQUEST_FIELDS, scan);
    }
  } catch (err) {
    throw asBadData(err);
  }
  if (r.droppedHighBits) scan.forwardable = false;
  return { resourceLogs: scan.resourceLogs, logRecords: scan.logRecords, forwardable: scan.forwardable };
}

/** Moves past a string field; when checking strings, notes one that is not valid UTF-8. */
function scanString(r: ProtoReader, scan: Scan): void {
  const end = r.lengthEnd();
  if (scan.checkStrings && scan.forwardable && !isUtf8(r.buf.subarray(r.pos, end))) scan.forwardable = false;
  r.pos = end;
}

/** A field the message reader does not know: refused as decode refuses it, else not forwarded. */
function skipOther(r: ProtoReader, tag: number, fields: readonly (string | undefined)[], scan: Scan): void {
  r.skip(tag, fields);
  scan.forwardable = false;
}

function scanResourceLogs(r: ProtoReader, end: number, scan: Scan): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) scanResource(r, r.lengthEnd(), scan);
    else if (tag === 0x12) scanScopeLogs(r, r.lengthEnd(), scan);
    else if (tag === 0x1a) scanString(r, scan);
    else skipOther(r, tag, RESOURCE_LOGS_FIELDS, scan);
  }
  r.end = outer;
}

function scanResource(r: ProtoReader, end: number, scan: Scan): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) scanKeyValue(r, r.lengthEnd(), scan);
    else if (tag === 0x10)
      r.bool(); // uint32: any varint, as uint32() reads it
    else skipOther(r, tag, RESOURCE_FIELDS, scan);
  }
  r.end = outer;
}

function scanScopeLogs(r: ProtoReader, end: number, scan: Scan): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) scanScope(r, r.lengthEnd(), scan);
    else if (tag === 0x12) {
      scanLogRecord(r, r.lengthEnd(), scan);
      scan.logRecords++;
    } else if (tag === 0x1a) scanString(r, scan);
    else skipOther(r, tag, SCOPE_LOGS_FIELDS, scan);
  }
  r.end = outer;
}

function scanScope(r: ProtoReader, end: number, scan: Scan): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a || tag === 0x12) scanString(r, scan);
    else if (tag === 0x1a) scanKeyValue(r, r.lengthEnd(), scan);
    else if (tag === 0x20) r.bool();
    else skipOther(r, tag, SCOPE_FIELDS, scan);
  }
  r.end = outer;
}

function scanLogRecord(r: ProtoReader, end: number, scan: Scan): void {
  const outer = r.end;
  r.end = end;
  let bodies = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x09: // time_unix_nano
      case 0x59: // observed_time_unix_nano
        r.advance(8, 'fixed64');
        break;
      case 0x10: // severity_number
      case 0x38: // dropped_attributes_count
        r.bool(); // any varint, as int32() and uint32() read it
        break;
      case 0x1a: // severity_text
      case 0x62: // event_name
        scanString(r, scan);
        break;
      case 0x2a:
        scanAnyValue(r, r.lengthEnd(), scan);
        bodies++;
        break;
      case 0x32:
        scanKeyValue(r, r.lengthEnd(), scan);
        break;
      case 0x45: // flags
        r.advance(4, 'fixed32');
        break;
      case 0x4a:
        r.skipId(16, 'trace_id');
        break;
      case 0x52:
        r.skipId(8, 'span_id');
        break;
      default:
        skipOther(r, tag, LOG_RECORD_FIELDS, scan);
    }
  }
  if (bodies > 1) scan.forwardable = false;
  r.end = outer;
}

function scanKeyValue(r: ProtoReader, end: number, scan: Scan): void {
  const outer = r.end;
  r.end = end;
  let values = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) scanString(r, scan);
    else if (tag === 0x12) {
      scanAnyValue(r, r.lengthEnd(), scan);
      values++;
    } else skipOther(r, tag, KEY_VALUE_FIELDS, scan);
  }
  if (values > 1) scan.forwardable = false;
  r.end = outer;
}

function scanAnyValue(r: ProtoReader, end: number, scan: Scan): void {
  if (++r.depth > MAX_DEPTH) throw r.error(`values nested deeper than ${MAX_DEPTH} at byte ${r.pos}`);
  const outer = r.end;
  r.end = end;
  let members = 0;
  while (r.pos < end) {
    const tag = r.tag();
    members++;
    switch (tag) {
      case 0x0a: // string_value
        scanString(r, scan);
        break;
      case 0x3a: // bytes_value
        r.pos = r.lengthEnd();
        break;
      case 0x10: // bool_value
      case 0x18: // int_value
        r.bool(); // any varint up to 10 bytes, as bool() and int64() accept
        break;
      case 0x21: // double_value
        r.advance(8, 'double');
        break;
      case 0x2a: // array_value
        scanValues(r, r.lengthEnd(), scan, scanAnyValue);
        break;
      case 0x32: // kvlist_value
        scanValues(r, r.lengthEnd(), scan, scanKeyValue);
        break;
      default:
        skipOther(r, tag, ANY_VALUE_FIELDS, scan);
    }
  }
  if (members > 1) scan.forwardable = false;
  r.end = outer;
  r.depth--;
}

function scanValues(r: ProtoReader, end: number, scan: Scan, scanValue: (r: ProtoReader, end: number, scan: Scan) => void): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) scanValue(r, r.lengthEnd(), scan);
    else skipOther(r, tag, VALUES_FIELDS, scan);
  }
  r.end = outer;
}
