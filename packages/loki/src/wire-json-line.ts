/**
 * The `json` line of a record (lines.ts `jsonLine`) written straight from its protobuf bytes, for
 * the wire transcoder: strings are escaped from their UTF-8 bytes, values written as
 * `anyValueToJson` + JSON.stringify would write them.
 *
 * The model path builds each object with `setOwnProperty`, so JavaScript's object semantics
 * apply: a repeated key keeps its first place with its last value, and integer-like keys come
 * first. A record whose objects (attributes, kvlists) have such keys, a `loki.*` hint among its
 * attributes, or a value with more than one member or an unknown field is left to the model path.
 */
import { EMPTY_VIEW, asciiView, emptyScope, viewOf, type ProtoReader } from '@sluice/pdata';
import { PLAIN_DECIMAL, PLAIN_FALSE, PLAIN_STRING, PLAIN_TRUE, plainKeyValue, plainValue, readPlainValue } from './in-place-fields';
import { jsonScopePart } from './lines';
import {
  MAX_DEPTH,
  copyWords,
  decimalLength,
  decimalScale,
  jsonStringRoom,
  scaledDigits,
  writeDecimal,
  writeHex,
  writeJsonString,
} from './pdata-hot-path';
import { writeBytes } from './write-bytes';

/** Thrown to give up on a record; made once (no stack captured per throw) and caught in this file only. */
const GIVE_UP = new Error('record left to the model path');
/** The largest tail kept between calls: a sender's resource part is far smaller. */
const TAIL_KEEP = 1 << 16;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const BODY = asciiView('"body":');
const TRACE_ID = asciiView('"traceid":"');
const SPAN_ID = asciiView('"spanid":"');
const SEVERITY = asciiView('"severity":');
const ATTRIBUTES = asciiView('"attributes":{');
const LOKI_HINT = Buffer.from('"loki.', 'latin1');
const NULL = asciiView('null');
/** A bool as JSON and as String() write it. */
export const TRUE_TEXT = asciiView('true');
export const FALSE_TEXT = asciiView('false');
const EMPTY_KEY = asciiView('""');
const EMPTY = Buffer.alloc(0);

/**
 * Where a LogRecord's fields are in the request, as the transcoder found them (of a field sent
 * twice, the last, as the decoder reads it): a start of -1 or an empty range is a field not sent.
 */
export interface RecordFields {
  bodyStart: number;
  bodyEnd: number;
  traceStart: number;
  traceEnd: number;
  spanStart: number;
  spanEnd: number;
  severityStart: number;
  severityEnd: number;
  /** How many of `attrStart` / `attrEnd` are this record's. */
  attributes: number;
  readonly attrStart: readonly number[];
  readonly attrEnd: readonly number[];
}

/** A RecordFields to be filled for each record, over the caller's attribute arrays. */
export function recordFields(attrStart: readonly number[], attrEnd: readonly number[]): RecordFields {
  return {
    bodyStart: -1,
    bodyEnd: 0,
    traceStart: 0,
    traceEnd: 0,
    spanStart: 0,
    spanEnd: 0,
    severityStart: 0,
    severityEnd: 0,
    attributes: 0,
    attrStart,
    attrEnd,
  };
}

export class WireJsonLine {
  /**
   * Where the line is written: the caller's buffer, grown (with everything before the line
   * copied) when the line needs more room.
   */
  out: Buffer = EMPTY;
  /** `out` as a DataView, for stores of several bytes at once. */
  private view = EMPTY_VIEW;
  /** The request the record is read from, as a DataView: its strings are read four bytes at a time. */
  private input = EMPTY_VIEW;
  private pos = 0;
  private depth = 0;
  /** The keys of the objects being written, as ranges of `out`: each object's start at the index it began with. */
  private readonly keyStart: number[] = [];
  private readonly keyEnd: number[] = [];
  private keys = 0;
  /** What the in-place value reader found. */
  private readonly plain = plainValue();
  // The last tail made by `tail`.
  private tailResource = '';
  private tailScope = '';
  private tailBytes = EMPTY;

  /**
   * Writes the line of the LogRecord whose fields are at `fields` in r.buf (`input` views the
   * same bytes; its ids checked by the caller), ending with `tail`, into `out` at `at`; answers
   * where the line ends (in `this.out`, which may be a grown copy of `out`), or -1 when the model
   * path must write it.
   */
  write(r: ProtoReader, input: DataView, fields: RecordFields, tail: Buffer, out: Buffer, at: number): number {
    if (out !== this.out) this.useOut(out);
    this.input = input;
    this.pos = at;
    this.depth = this.keys = 0;
    const outer = r.end;
    try {
      this.record(r, fields, tail);
    } catch (err) {
      if (err === GIVE_UP) return -1;
      throw err;
    } finally {
      r.end = outer;
    }
    return this.pos;
  }

  /** Lets go of the caller's buffers, and of a large tail. */
  release(): void {
    this.out = EMPTY;
    this.view = EMPTY_VIEW;
    this.input = EMPTY_VIEW;
    // A large resource's tail is not kept, as its plan is not.
    if (this.tailBytes.length > TAIL_KEEP) {
      this.tailResource = this.tailScope = '';
      this.tailBytes = EMPTY;
    }
  }

  /** The bytes that end the lines of a scope: the resource's part (ResourcePlan.linePart) and the scope's, rendered by lines.ts. */
  tail(resourcePart: string, scopePart: string): Buffer {
    if (resourcePart !== this.tailResource || scopePart !== this.tailScope) {
      this.tailResource = resourcePart;
      this.tailScope = scopePart;
      this.tailBytes = Buffer.from(resourcePart + scopePart, 'utf8');
    }
    return this.tailBytes;
  }

  private record(r: ProtoReader, fields: RecordFields, tail: Buffer): void {
    const buf = r.buf;
    const { bodyStart, bodyEnd, traceStart, traceEnd, spanStart, spanEnd, severityStart, severityEnd } = fields;
    this.byte(OPEN_BRACE);
    if (bodyStart >= 0) {
      const mark = this.pos;
      this.raw(BODY);
      r.pos = bodyStart;
      if (!this.anyValue(r, bodyEnd)) this.pos = mark; // an empty AnyValue is no body
    }
    if (traceEnd > traceStart) this.id(TRACE_ID, buf, traceStart, traceEnd);
    if (spanEnd > spanStart) this.id(SPAN_ID, buf, spanStart, spanEnd);
    if (severityEnd > severityStart) {
      this.separator();
      this.raw(SEVERITY);
      this.string(severityStart, severityEnd);
    }
    if (fields.attributes > 0) {
      this.separator();
      this.raw(ATTRIBUTES);
      for (let i = 0; i < fields.attributes; i++) {
        r.pos = fields.attrStart[i]!;
        this.keyValue(r, fields.attrEnd[i]!, 0, true);
      }
      this.byte(CLOSE_BRACE);
    }
    // `tail` starts with a comma, which an empty object has nothing for to follow.
    if (tail.length > 0) this.writeTail(tail, this.out[this.pos - 1] === OPEN_BRACE ? 1 : 0);
    this.byte(CLOSE_BRACE);
  }

  /** One member of an object whose keys start at index `base`; `hints` refuses `loki.*` keys. */
  private keyValue(r: ProtoReader, end: number, base: number, hints: boolean): void {
    const outer = r.end;
    r.end = end;
    const buf = r.buf;
    const start = r.pos;
    let keyStart = -1;
    let keyEnd = 0;
    let valueEnd = end;
    // The usual layout, a short key and then the value filling the rest, is read in place.
    let valueStart = plainKeyValue(buf, start, end);
    if (valueStart >= 0) {
      keyStart = start + 2;
      keyEnd = keyStart + buf[start + 1]!;
      r.pos = end;
    }
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === 0x0a && keyStart < 0) {
        keyEnd = r.lengthEnd();
        keyStart = r.pos;
        r.pos = keyEnd;
      } else if (tag === 0x12 && valueStart < 0) {
        valueEnd = r.lengthEnd();
        valueStart = r.pos;
        r.pos = valueEnd;
      } else throw GIVE_UP; // a field sent twice (the last would win) or an unknown one
    }
    this.separator();
    const at = this.pos;
    if (keyStart >= 0) this.string(keyStart, keyEnd);
    else this.raw(EMPTY_KEY);
    this.addKey(at, this.pos, base, hints);
    this.byte(COLON);
    if (valueStart >= 0) r.pos = valueStart;
    if (valueStart < 0 || !this.anyValue(r, valueEnd)) this.raw(NULL);
    r.pos = end;
    r.end = outer;
  }

  /**
   * Checks the escaped key at out[start, end) (distinct strings escape to distinct bytes) against
   * the object's keys so far, and adds it.
   */
  private addKey(start: number, end: number, base: number, hints: boolean): void {
    const out = this.out;
    if (isArrayIndex(out, start + 1, end - 1)) throw GIVE_UP;
    const length = end - start;
    if (
      hints &&
      length > LOKI_HINT.length &&
      out[start + 1] === LOKI_HINT[1] &&
      out.compare(LOKI_HINT, 0, LOKI_HINT.length, start, start + LOKI_HINT.length) === 0
    ) {
      throw GIVE_UP;
    }
    for (let k = base; k < this.keys; k++) {
      const other = this.keyStart[k]!;
      // Most keys differ in length or first character: the native compare only for the rest.
      if (
        this.keyEnd[k]! - other === length &&
        out[other + 1] === out[start + 1] &&
        out.compare(out, other, other + length, start, end) === 0
      ) {
        throw GIVE_UP;
      }
    }
    this.keyStart[this.keys] = start;
    this.keyEnd[this.keys++] = end;
  }

  /** Writes one AnyValue as anyValueToJson + JSON.stringify; false, with nothing written, for the empty value. */
  private anyValue(r: ProtoReader, end: number): boolean {
    // Below the depth the decoder refuses, the usual values are read in place.
    if (this.depth < MAX_DEPTH && this.plainValue(r.buf, r.pos, end)) {
      r.pos = end;
      return true;
    }
    if (++this.depth > MAX_DEPTH) throw GIVE_UP; // the decoder refuses it
    const outer = r.end;
    r.end = end;
    let set = false;
    while (r.pos < end) {
      const tag = r.tag();
      if (set) throw GIVE_UP; // a second member (the last would win) or an unknown field
      switch (tag) {
        case 0x0a: {
          const stringEnd = r.lengthEnd();
          this.string(r.pos, stringEnd);
          r.pos = stringEnd;
          break;
        }
        case 0x10:
          this.raw(r.bool() ? TRUE_TEXT : FALSE_TEXT);
          break;
        case 0x18:
          r.varint64();
          this.int64(r.lo, r.hi);
          break;
        case 0x21: {
          const value = r.double();
          const scale = decimalScale(value);
          if (scale >= 0) this.decimal(scaledDigits(value, scale), scale);
          else if (Number.isFinite(value)) this.ascii(String(value));
          else this.raw(NULL);
          break;
        }
        case 0x2a:
          this.array(r, r.lengthEnd());
          break;
        case 0x32:
          this.kvlist(r, r.lengthEnd());
          break;
        case 0x3a: {
          const bytesEnd = r.lengthEnd();
          this.byte(QUOTE);
          this.ascii(r.buf.toString('base64', r.pos, bytesEnd));
          this.byte(QUOTE);
          r.pos = bytesEnd;
          break;
        }
        default:
          throw GIVE_UP;
      }
      set = true;
    }
    r.end = outer;
    this.depth--;
    return set;
  }

  /**
   * The AnyValue at [start, end) when `readPlainValue` reads it and its JSON needs nothing else
   * (a double String() writes otherwise is the reader's). False, with nothing written, for the rest.
   */
  private plainValue(buf: Buffer, start: number, end: number): boolean {
    const plain = this.plain;
    if (!readPlainValue(buf, start, end, plain)) return false;
    switch (plain.kind) {
      case PLAIN_STRING:
        this.string(plain.stringStart, end);
        return true;
      case PLAIN_DECIMAL:
        this.decimal(plain.digits, plain.scale);
        return true;
      case PLAIN_TRUE:
      case PLAIN_FALSE:
        this.raw(plain.kind === PLAIN_TRUE ? TRUE_TEXT : FALSE_TEXT);
        return true;
    }
    return false;
  }

  /** An ArrayValue: empty values in it are null. */
  private array(r: ProtoReader, end: number): void {
    const outer = r.end;
    r.end = end;
    this.byte(OPEN_BRACKET);
    while (r.pos < end) {
      if (r.tag() !== 0x0a) throw GIVE_UP;
      this.separator();
      if (!this.anyValue(r, r.lengthEnd())) this.raw(NULL);
    }
    this.byte(CLOSE_BRACKET);
    r.end = outer;
  }

  private kvlist(r: ProtoReader, end: number): void {
    const outer = r.end;
    r.end = end;
    const base = this.keys;
    this.byte(OPEN_BRACE);
    while (r.pos < end) {
      if (r.tag() !== 0x0a) throw GIVE_UP;
      this.keyValue(r, r.lengthEnd(), base, false);
    }
    this.byte(CLOSE_BRACE);
    this.keys = base;
    r.end = outer;
  }

  /** An int64 from its 32-bit halves as bigintToJson gives it: a number when safe, else a string. */
  private int64(lo: number, hi: number): void {
    const value = hi < 0x200000 ? hi * 4294967296 + lo : hi >= 0xffe00000 ? (hi - 4294967296) * 4294967296 + lo : Number.NaN;
    if (Number.isSafeInteger(value)) this.decimal(value, 0);
    else this.ascii(`"${BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))}"`);
  }

  /** `digits / 10^scale` as String() writes it (decimalLength, writeDecimal). */
  private decimal(digits: number, scale: number): void {
    const length = decimalLength(digits, scale);
    this.room(length);
    this.pos = writeDecimal(this.out, this.pos, digits, scale, length);
  }

  /** `name` (which opens the string) and the id as lowercase hex. */
  private id(name: DataView, src: Buffer, start: number, end: number): void {
    this.separator();
    this.raw(name);
    this.room(2 * (end - start) + 1);
    const pos = writeHex(src, start, end, this.view, this.pos);
    this.out[pos] = QUOTE;
    this.pos = pos + 1;
  }

  /** A comma unless the object or array has nothing yet. */
  private separator(): void {
    const last = this.out[this.pos - 1];
    if (last !== OPEN_BRACE && last !== OPEN_BRACKET) this.byte(COMMA);
  }

  /** The UTF-8 string at [start, end) of the input. */
  private string(start: number, end: number): void {
    this.room(jsonStringRoom(end - start));
    this.pos = writeJsonString(this.input, start, end, this.view, this.pos);
  }

  private byte(value: number): void {
    this.room(1);
    this.out[this.pos++] = value;
  }

  /** A fixed part of the line. */
  private raw(bytes: DataView): void {
    this.room(bytes.byteLength);
    this.pos = copyWords(bytes, 0, bytes.byteLength, this.view, this.pos);
  }

  /** The tail from `from`: a native copy, as it is long (the resource's attributes). */
  private writeTail(tail: Buffer, from: number): void {
    const length = tail.length - from;
    this.room(length);
    const out = this.out;
    const pos = this.pos;
    if (from === 0) this.pos = writeBytes(tail, out, pos);
    else {
      for (let i = 0; i < length; i++) out[pos + i] = tail[from + i]!;
      this.pos = pos + length;
    }
  }

  private ascii(text: string): void {
    const length = text.length;
    this.room(length);
    const out = this.out;
    const pos = this.pos;
    for (let i = 0; i < length; i++) out[pos + i] = text.charCodeAt(i);
    this.pos = pos + length;
  }

  private room(count: number): void {
    if (this.out.length - this.pos < count) {
      const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + count));
      this.out.copy(bigger, 0, 0, this.pos);
      this.useOut(bigger);
    }
  }

  private useOut(out: Buffer): void {
    this.out = out;
    this.view = viewOf(out);
  }
}

/**
 * The instrumentation_scope part of the lines of the ScopeLogs at r.buf[r.pos, end), from its
 * scope's name and version (the last sent wins, as in the decoder); r.pos is left where it was.
 */
export function wireScopePart(r: ProtoReader, end: number): string {
  const start = r.pos;
  const outer = r.end;
  r.end = end;
  const scope = emptyScope();
  while (r.pos < end) {
    const tag = r.tag();
    if (tag !== 0x0a) {
      r.skip(tag);
      continue;
    }
    const scopeEnd = r.lengthEnd();
    r.end = scopeEnd;
    while (r.pos < scopeEnd) {
      const scopeTag = r.tag();
      if (scopeTag === 0x0a) scope.name = r.string();
      else if (scopeTag === 0x12) scope.version = r.string();
      else r.skip(scopeTag);
    }
    r.end = end;
  }
  r.pos = start;
  r.end = outer;
  return jsonScopePart(scope);
}

/** Whether the key text at out[start, end) is an array index ("0", "17", up to 2^32 - 2): a key JavaScript puts first. */
function isArrayIndex(out: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length === 0 || length > 10 || (length > 1 && out[start] === DIGIT_0)) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const b = out[i]!;
    if (b < DIGIT_0 || b > DIGIT_9) return false;
    value = value * 10 + b - DIGIT_0;
  }
  return value <= 4294967294;
}
