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
} from './proto-decode';
import { SluiceError } from '../errors';
import { EMPTY_VIEW, asciiView, viewOf } from './byte-view';
import { copyWords } from './byte-words';
import { decimalLength, decimalScale, scaledDigits, writeDecimal } from './decimal-text';
import { writeHex } from './hex-bytes';
import { jsonStringRoom, writeJsonString } from './json-string';
import { MAX_DEPTH, ProtoReader } from './proto-reader';

/*
 * OTLP logs protobuf → OTLP/JSON without building the data model, for an exporter writing a request
 * exactly as it was received. The output is byte for byte `encodeLogsJson(decodeLogsProto(bytes))`:
 * the same member order, omitted defaults, escapes and number formats.
 *
 * It writes each field as it reads it, so it handles the layout every encoder produces: known
 * fields in field-number order, each singular field once, a repeated field's elements together.
 * Anything else (reordered fields, a field sent twice, an AnyValue with two members set) would need
 * protobuf's merge rules, so the transcoder gives up and the caller takes the model path.
 */

/** Thrown to give up; made once (no stack captured per throw) and caught in this file only. */
const GIVE_UP = new Error('layout left to the model path');

/** The line is written here, kept between calls up to this size, and copied out at its exact size. */
const SCRATCH_BYTES = 64 * 1024;
const SCRATCH_KEEP = 1 << 20;
let scratch: JsonOut | undefined;

/**
 * The OTLP/JSON line of an ExportLogsServiceRequest protobuf body, with '\n' appended when
 * `newline`, in memory from `allocate` (an exporter's reused memory; a fresh Buffer by default);
 * undefined when this layout is not handled (or the bytes are malformed) and the caller must use
 * `encodeLogsJson(decodeLogsProto(bytes))`.
 */
export function transcodeLogsProtoToJson(
  bytes: Uint8Array,
  newline = false,
  allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
): Buffer | undefined {
  const r = new ProtoReader(bytes);
  const o = (scratch ??= new JsonOut(SCRATCH_BYTES));
  o.pos = 0;
  o.input = viewOf(r.buf);
  try {
    request(r, o);
    if (newline) o.byte(0x0a);
    const line = allocate(o.pos);
    o.buf.copy(line, 0, 0, o.pos);
    return line;
  } catch (err) {
    // A layout left to the model path, or bytes the decoder refuses (it says what is wrong); anything else is a bug.
    if (err === GIVE_UP || err instanceof SluiceError) return undefined;
    throw err;
  } finally {
    o.input = EMPTY_VIEW;
    if (o.buf.length > SCRATCH_KEEP) scratch = undefined;
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const RESOURCE_LOGS_OPEN = asciiView('{"resourceLogs":[');
const LIST_END = asciiView(']}');
const RESOURCE_OPEN = asciiView('{"resource":');
const SCOPE_OPEN = asciiView('{"scope":');
const EMPTY_OBJECT = asciiView('{}');
const COMMA_BYTES = asciiView(',');
const SCOPE_LOGS_OPEN = asciiView(',"scopeLogs":[');
const LOG_RECORDS_OPEN = asciiView(',"logRecords":[');
const SCHEMA_URL = asciiView(',"schemaUrl":');
const ATTRIBUTES_OPEN = asciiView('"attributes":[');
const DROPPED = asciiView('"droppedAttributesCount":');
const NAME = asciiView('"name":');
const VERSION = asciiView('"version":');
const TIME = asciiView('"timeUnixNano":"');
const SEVERITY_NUMBER = asciiView('"severityNumber":');
const SEVERITY_TEXT = asciiView('"severityText":');
const BODY = asciiView('"body":');
const FLAGS = asciiView('"flags":');
const TRACE_ID = asciiView('"traceId":"');
const SPAN_ID = asciiView('"spanId":"');
const OBSERVED_TIME = asciiView('"observedTimeUnixNano":"');
const EVENT_NAME = asciiView('"eventName":');
const KEY = asciiView('"key":');
const VALUE = asciiView('"value":');
const STRING_VALUE = asciiView('{"stringValue":');
const BOOL_TRUE = asciiView('{"boolValue":true}');
const BOOL_FALSE = asciiView('{"boolValue":false}');
const INT_VALUE = asciiView('{"intValue":"');
const DOUBLE_VALUE = asciiView('{"doubleValue":');
const ARRAY_VALUE = asciiView('{"arrayValue":{');
const KVLIST_VALUE = asciiView('{"kvlistValue":{');
const VALUES_OPEN = asciiView('"values":[');
const BYTES_VALUE = asciiView('{"bytesValue":"');
const QUOTE_BRACE = asciiView('"}');
const LIST_CLOSE_BRACES = asciiView(']}}');
const CLOSE_BRACES = asciiView('}}');

/*
 * Each message writer mirrors its reader in proto-decode.ts. `at` is the number of the last known
 * field read; `next` moves it forward or gives up, and closes the list of a repeated field.
 */

/** `next`'s `repeated` for a message with no repeated field. */
const NONE = -1;

function next(o: JsonOut, at: number, field: number, repeated: number): number {
  if (field <= at) throw GIVE_UP;
  if (at === repeated) o.byte(CLOSE_BRACKET);
  return field;
}

function request(r: ProtoReader, o: JsonOut): void {
  o.raw(RESOURCE_LOGS_OPEN);
  let count = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === 0x0a) {
      if (count++ > 0) o.byte(COMMA);
      resourceLogs(r, o, r.lengthEnd());
    } else r.skip(tag, REQUEST_FIELDS);
  }
  o.raw(LIST_END);
}

function resourceLogs(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  o.raw(RESOURCE_OPEN);
  let at = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        at = next(o, at, 1, 2);
        resource(r, o, r.lengthEnd());
        break;
      case 0x12:
        at = listItem(o, at, SCOPE_LOGS_OPEN);
        scopeLogs(r, o, r.lengthEnd());
        break;
      case 0x1a:
        at = schemaUrl(r, o, at, SCOPE_LOGS_OPEN);
        break;
      default:
        r.skip(tag, RESOURCE_LOGS_FIELDS);
    }
  }
  if (at < 3) closeList(o, at, SCOPE_LOGS_OPEN);
  o.byte(CLOSE_BRACE);
  r.end = outer;
}

function scopeLogs(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  o.raw(SCOPE_OPEN);
  let at = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        at = next(o, at, 1, 2);
        scope(r, o, r.lengthEnd());
        break;
      case 0x12:
        at = listItem(o, at, LOG_RECORDS_OPEN);
        logRecord(r, o, r.lengthEnd());
        break;
      case 0x1a:
        at = schemaUrl(r, o, at, LOG_RECORDS_OPEN);
        break;
      default:
        r.skip(tag, SCOPE_LOGS_FIELDS);
    }
  }
  if (at < 3) closeList(o, at, LOG_RECORDS_OPEN);
  o.byte(CLOSE_BRACE);
  r.end = outer;
}

/*
 * ResourceLogs and ScopeLogs share a shape: a message always written (field 1), a list always
 * written (2), then schemaUrl (3), omitted when empty. These write what fields 1 and 2 leave open
 * or, when not sent, write them empty.
 */

function listItem(o: JsonOut, at: number, listOpen: DataView): number {
  if (at === 2) {
    o.byte(COMMA);
    return 2;
  }
  if (at > 2) throw GIVE_UP;
  if (at === 0) o.raw(EMPTY_OBJECT);
  o.raw(listOpen);
  return 2;
}

function closeList(o: JsonOut, at: number, listOpen: DataView): void {
  if (at === 0) o.raw(EMPTY_OBJECT);
  if (at < 2) o.raw(listOpen);
  o.byte(CLOSE_BRACKET);
}

function schemaUrl(r: ProtoReader, o: JsonOut, at: number, listOpen: DataView): number {
  if (at === 3) throw GIVE_UP;
  closeList(o, at, listOpen);
  const end = r.lengthEnd();
  if (end > r.pos) {
    o.raw(SCHEMA_URL);
    o.string(r.pos, end);
  }
  r.pos = end;
  return 3;
}

function resource(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  o.byte(OPEN_BRACE);
  let at = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        if (at === 1) o.byte(COMMA);
        else {
          at = next(o, at, 1, 1);
          o.raw(ATTRIBUTES_OPEN);
        }
        keyValue(r, o, r.lengthEnd());
        break;
      case 0x10: {
        at = next(o, at, 2, 1);
        const count = r.uint32();
        if (count !== 0) {
          member(o, DROPPED);
          o.uint(count);
        }
        break;
      }
      default:
        r.skip(tag, RESOURCE_FIELDS);
    }
  }
  if (at === 1) o.byte(CLOSE_BRACKET);
  o.byte(CLOSE_BRACE);
  r.end = outer;
}

function scope(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  o.byte(OPEN_BRACE);
  let at = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        at = next(o, at, 1, 3);
        stringMember(r, o, NAME);
        break;
      case 0x12:
        at = next(o, at, 2, 3);
        stringMember(r, o, VERSION);
        break;
      case 0x1a:
        if (at === 3) o.byte(COMMA);
        else {
          at = next(o, at, 3, 3);
          member(o, ATTRIBUTES_OPEN);
        }
        keyValue(r, o, r.lengthEnd());
        break;
      case 0x20: {
        at = next(o, at, 4, 3);
        const count = r.uint32();
        if (count !== 0) {
          member(o, DROPPED);
          o.uint(count);
        }
        break;
      }
      default:
        r.skip(tag, SCOPE_FIELDS);
    }
  }
  if (at === 3) o.byte(CLOSE_BRACKET);
  o.byte(CLOSE_BRACE);
  r.end = outer;
}

// In field-number order, which is also the JSON member order.
function logRecord(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  o.byte(OPEN_BRACE);
  let at = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case 0x09:
        at = next(o, at, 1, 6);
        fixed64Member(r, o, TIME);
        break;
      case 0x10: {
        at = next(o, at, 2, 6);
        const severity = r.int32();
        if (severity !== 0) {
          member(o, SEVERITY_NUMBER);
          o.int(severity);
        }
        break;
      }
      case 0x1a:
        at = next(o, at, 3, 6);
        stringMember(r, o, SEVERITY_TEXT);
        break;
      case 0x2a: {
        at = next(o, at, 5, 6);
        const mark = o.pos;
        member(o, BODY);
        if (!anyValue(r, o, r.lengthEnd())) o.pos = mark; // an empty AnyValue is no body
        break;
      }
      case 0x32:
        if (at === 6) o.byte(COMMA);
        else {
          at = next(o, at, 6, 6);
          member(o, ATTRIBUTES_OPEN);
        }
        keyValue(r, o, r.lengthEnd());
        break;
      case 0x38: {
        at = next(o, at, 7, 6);
        const count = r.uint32();
        if (count !== 0) {
          member(o, DROPPED);
          o.uint(count);
        }
        break;
      }
      case 0x45: {
        at = next(o, at, 8, 6);
        const flags = r.fixed32();
        if (flags !== 0) {
          member(o, FLAGS);
          o.uint(flags);
        }
        break;
      }
      case 0x4a:
        at = next(o, at, 9, 6);
        idMember(r, o, TRACE_ID, 16);
        break;
      case 0x52:
        at = next(o, at, 10, 6);
        idMember(r, o, SPAN_ID, 8);
        break;
      case 0x59:
        at = next(o, at, 11, 6);
        fixed64Member(r, o, OBSERVED_TIME);
        break;
      case 0x62:
        at = next(o, at, 12, 6);
        stringMember(r, o, EVENT_NAME);
        break;
      default:
        r.skip(tag, LOG_RECORD_FIELDS);
    }
  }
  if (at === 6) o.byte(CLOSE_BRACKET);
  o.byte(CLOSE_BRACE);
  r.end = outer;
}

function keyValue(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  o.byte(OPEN_BRACE);
  let at = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) {
      at = next(o, at, 1, NONE);
      stringMember(r, o, KEY);
    } else if (tag === 0x12) {
      at = next(o, at, 2, NONE);
      const mark = o.pos;
      member(o, VALUE);
      if (!anyValue(r, o, r.lengthEnd())) o.pos = mark; // an empty value is left out
    } else r.skip(tag, KEY_VALUE_FIELDS);
  }
  o.byte(CLOSE_BRACE);
  r.end = outer;
}

/** Writes one AnyValue; false, with nothing written, for the empty value (no member set). */
function anyValue(r: ProtoReader, o: JsonOut, end: number): boolean {
  if (++r.depth > MAX_DEPTH) throw GIVE_UP;
  const outer = r.end;
  r.end = end;
  let set = false;
  while (r.pos < end) {
    const tag = r.tag();
    // A oneof: a second member would win over the first, which is already written.
    if (set && (tag === 0x0a || tag === 0x10 || tag === 0x18 || tag === 0x21 || tag === 0x2a || tag === 0x32 || tag === 0x3a)) {
      throw GIVE_UP;
    }
    switch (tag) {
      case 0x0a: {
        const stringEnd = r.lengthEnd();
        o.raw(STRING_VALUE);
        o.string(r.pos, stringEnd);
        o.byte(CLOSE_BRACE);
        r.pos = stringEnd;
        set = true;
        break;
      }
      case 0x10:
        o.raw(r.bool() ? BOOL_TRUE : BOOL_FALSE);
        set = true;
        break;
      case 0x18:
        r.varint64();
        o.raw(INT_VALUE);
        o.int64(r.lo, r.hi);
        o.raw(QUOTE_BRACE);
        set = true;
        break;
      case 0x21:
        o.raw(DOUBLE_VALUE);
        o.double(r.double());
        o.byte(CLOSE_BRACE);
        set = true;
        break;
      case 0x2a:
        o.raw(ARRAY_VALUE);
        arrayValues(r, o, r.lengthEnd());
        set = true;
        break;
      case 0x32:
        o.raw(KVLIST_VALUE);
        keyValueListValues(r, o, r.lengthEnd());
        set = true;
        break;
      case 0x3a: {
        const bytesEnd = r.lengthEnd();
        o.raw(BYTES_VALUE);
        o.ascii(r.buf.toString('base64', r.pos, bytesEnd));
        o.raw(QUOTE_BRACE);
        r.pos = bytesEnd;
        set = true;
        break;
      }
      default:
        r.skip(tag, ANY_VALUE_FIELDS);
    }
  }
  r.end = outer;
  r.depth--;
  return set;
}

/** The inside of an ArrayValue, closing the wrapper the caller opened. Empty values in a list are `{}`. */
function arrayValues(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  let count = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) {
      o.raw(count++ === 0 ? VALUES_OPEN : COMMA_BYTES);
      if (!anyValue(r, o, r.lengthEnd())) o.raw(EMPTY_OBJECT);
    } else r.skip(tag, VALUES_FIELDS);
  }
  o.raw(count === 0 ? CLOSE_BRACES : LIST_CLOSE_BRACES);
  r.end = outer;
}

function keyValueListValues(r: ProtoReader, o: JsonOut, end: number): void {
  const outer = r.end;
  r.end = end;
  let count = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x0a) {
      o.raw(count++ === 0 ? VALUES_OPEN : COMMA_BYTES);
      keyValue(r, o, r.lengthEnd());
    } else r.skip(tag, VALUES_FIELDS);
  }
  o.raw(count === 0 ? CLOSE_BRACES : LIST_CLOSE_BRACES);
  r.end = outer;
}

/** Writes `name` after a comma unless it is the object's first member. */
function member(o: JsonOut, name: DataView): void {
  if (o.buf[o.pos - 1] !== OPEN_BRACE) o.byte(COMMA);
  o.raw(name);
}

function stringMember(r: ProtoReader, o: JsonOut, name: DataView): void {
  const end = r.lengthEnd();
  if (end > r.pos) {
    member(o, name);
    o.string(r.pos, end);
  }
  r.pos = end;
}

/** An unsigned fixed64 as a decimal string; `name` includes the opening quote. */
function fixed64Member(r: ProtoReader, o: JsonOut, name: DataView): void {
  const lo = r.fixed32();
  const hi = r.fixed32();
  if (lo === 0 && hi === 0) return;
  member(o, name);
  o.uint64(lo, hi);
  o.byte(QUOTE);
}

/** A trace or span id as lowercase hex; a length the decoder would reject gives up. */
function idMember(r: ProtoReader, o: JsonOut, name: DataView, size: number): void {
  const end = r.lengthEnd();
  const start = r.pos;
  r.pos = end;
  if (end === start) return;
  if (end - start !== size) throw GIVE_UP;
  member(o, name);
  o.hex(r.buf, start, end);
  o.byte(QUOTE);
}

/** A growing output buffer with the few JSON writes the transcoder needs. */
class JsonOut {
  buf: Buffer;
  /** `buf` as a DataView, for stores of several bytes at once. */
  private view: DataView;
  pos = 0;
  /** The request being transcoded, as a DataView: its strings are read four bytes at a time. */
  input = EMPTY_VIEW;
  /**
   * The digits of the last 64-bit value above 2^53 but its last six (a timestamp's milliseconds):
   * the records of a request mostly share them, and copying them beats writing them again.
   */
  private millis = -1;
  private readonly millisDigits = Buffer.alloc(16);
  private millisLength = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = viewOf(this.buf);
  }

  byte(value: number): void {
    if (this.pos === this.buf.length) this.grow(1);
    this.buf[this.pos++] = value;
  }

  raw(bytes: DataView): void {
    const length = bytes.byteLength;
    this.room(length);
    this.pos = copyWords(bytes, 0, length, this.view, this.pos);
  }

  ascii(text: string): void {
    const length = text.length;
    this.room(length);
    const buf = this.buf;
    const pos = this.pos;
    for (let i = 0; i < length; i++) buf[pos + i] = text.charCodeAt(i);
    this.pos = pos + length;
  }

  /** A non-negative integer below 2^53, written in int32 chunks: integer division is cheap, double division is not. */
  uint(value: number): void {
    if (value < 0x80000000) {
      this.int32Digits(value);
      return;
    }
    let high = Math.floor(value / 1e7); // below 2^53 / 10^7 < 2^31
    let low = value - high * 1e7;
    if (low < 0) {
      // the division rounded up
      high--;
      low += 1e7;
    }
    this.int32Digits(high);
    this.paddedDigits(low, 7);
  }

  /**
   * An unsigned 64-bit integer from its 32-bit halves, without a bigint. Above 2^53 it is split
   * at 10^6: both parts and every intermediate stay exact as doubles.
   */
  uint64(lo: number, hi: number): void {
    if (hi < 0x200000) {
      this.uint(hi * 4294967296 + lo);
      return;
    }
    const hiQuotient = Math.floor(hi / 1e6);
    const rest = (hi - hiQuotient * 1e6) * 4294967296 + lo; // below 10^6 · 2^32 < 2^53
    let loQuotient = Math.floor(rest / 1e6);
    let low = rest - loQuotient * 1e6;
    if (low < 0) {
      loQuotient--;
      low += 1e6;
    }
    const millis = hiQuotient * 4294967296 + loQuotient;
    if (millis === this.millis) {
      const length = this.millisLength;
      this.room(length);
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos + i] = this.millisDigits[i]!;
      this.pos = pos + length;
    } else {
      const start = this.pos;
      this.uint(millis);
      this.millis = millis;
      this.millisLength = this.buf.copy(this.millisDigits, 0, start, this.pos);
    }
    this.paddedDigits(low, 6);
  }

  /** An int32, possibly negative. */
  int(value: number): void {
    if (value < 0) {
      this.byte(0x2d);
      value = -value;
    }
    this.uint(value);
  }

  /** A non-negative int32. */
  private int32Digits(value: number): void {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++;
    this.paddedDigits(value, digits);
  }

  /** The last `width` decimal digits of a non-negative int32, zero-padded. */
  private paddedDigits(value: number, width: number): void {
    this.room(width);
    const buf = this.buf;
    const start = this.pos;
    for (let pos = start + width - 1; pos >= start; pos--) {
      const quotient = (value / 10) | 0;
      buf[pos] = 0x30 + value - quotient * 10;
      value = quotient;
    }
    this.pos = start + width;
  }

  /** A two's-complement 64-bit integer from its unsigned 32-bit halves. */
  int64(lo: number, hi: number): void {
    if (hi < 0x80000000) {
      this.uint64(lo, hi);
      return;
    }
    this.byte(0x2d);
    const negatedLo = (~lo + 1) >>> 0;
    this.uint64(negatedLo, (~hi + (negatedLo === 0 ? 1 : 0)) >>> 0);
  }

  /**
   * As JSON.stringify writes protojson's double: a number, or a string for what JSON cannot carry.
   * The short ones (12.5) are written from their digits: String() costs more than the rest of the
   * attribute.
   */
  double(value: number): void {
    if (value === 0) {
      this.ascii(1 / value < 0 ? '"-0"' : '0');
      return;
    }
    const scale = decimalScale(value);
    if (scale >= 0) {
      const digits = scaledDigits(value, scale);
      const length = decimalLength(digits, scale);
      this.room(length);
      this.pos = writeDecimal(this.buf, this.pos, digits, scale, length);
    } else if (Number.isFinite(value)) this.ascii(String(value));
    else this.ascii(`"${value}"`);
  }

  hex(src: Buffer, start: number, end: number): void {
    this.room(2 * (end - start));
    this.pos = writeHex(src, start, end, this.view, this.pos);
  }

  /** The UTF-8 string at [start, end) of the input as a JSON string literal, escaped as JSON.stringify does. */
  string(start: number, end: number): void {
    this.room(jsonStringRoom(end - start));
    this.pos = writeJsonString(this.input, start, end, this.view, this.pos);
  }

  private room(count: number): void {
    if (this.buf.length - this.pos < count) this.grow(count);
  }

  private grow(count: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + count));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = viewOf(bigger);
  }
}
