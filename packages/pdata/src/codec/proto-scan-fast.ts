import { isUtf8 } from 'node:buffer';
import { MAX_DEPTH } from './proto-reader';

/*
 * The scan's fast path, for the requests nearly every sender sends: only fields this version of
 * OTLP knows, one-byte tags, well-formed lengths, each value sent once, valid UTF-8. It walks
 * with plain integer positions instead of a reader object, checks text a word at a time, and
 * reads the usual attribute (a short key and one scalar) in one step: about 20 µs for the
 * bench's request of 100 records with strings checked (30 before attributes were read in one
 * step; the exact scan takes several times as long). It gives up (BAIL) at anything else, and
 * the exact scan then walks the request again and says what is wrong, so errors and edge cases
 * have one implementation only.
 */

/** What a walker returns when it gives up; otherwise it returns where it stopped. */
const BAIL = -1;

const NO_BYTES = new Uint8Array(0);
const NO_WORDS = new Int32Array(0);
const MAX_WORDS_BYTES = 0x7fffffff;
/** The request's whole ArrayBuffer as bytes and as 32-bit words: positions below are into these. */
let bytes: Uint8Array = NO_BYTES;
let words: Int32Array = NO_WORDS;
let checkStrings = false;
/** Where the content of the last length-delimited field read starts. */
let at = 0;
let resourceLogs = 0;
let logRecords = 0;

export interface FastScan {
  resourceLogs: number;
  logRecords: number;
}

/**
 * Counts an OTLP logs request that needs none of the exact scan's judgement: returns undefined
 * for anything else. With `strings`, also undefined when a string is not valid UTF-8.
 */
export function fastScanLogsProto(request: Uint8Array, strings: boolean): FastScan | undefined {
  const buffer = request.buffer;
  bytes = new Uint8Array(buffer);
  // Word indexes are int32 arithmetic (>> 2): past 2 GiB, text is checked a byte at a time.
  words = buffer.byteLength <= MAX_WORDS_BYTES ? new Int32Array(buffer, 0, buffer.byteLength >> 2) : NO_WORDS;
  checkStrings = strings;
  resourceLogs = 0;
  logRecords = 0;
  const start = request.byteOffset;
  const end = walkRequest(start, start + request.byteLength);
  // Not kept: the views would pin the request's memory until the next scan.
  bytes = NO_BYTES;
  words = NO_WORDS;
  return end === BAIL ? undefined : { resourceLogs, logRecords };
}

/** Reads the length prefix at p: returns where the field ends and sets `at` to where it starts. */
function delimited(p: number, end: number): number {
  const b = bytes;
  if (p >= end) return BAIL;
  let length = b[p++]!;
  if (length >= 0x80) {
    length &= 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (p >= end) return BAIL;
      const byte = b[p++]!;
      // A fifth byte may only carry 3 bits, so the length stays a positive 31-bit integer.
      if (shift === 28 && byte > 0x07) return BAIL;
      length |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
  }
  if (length > end - p) return BAIL;
  at = p;
  return p + length;
}

function skipVarint(p: number, end: number): number {
  const b = bytes;
  const last = Math.min(end, p + 10);
  for (; p < last; p++) if (b[p]! < 0x80) return p + 1;
  return BAIL;
}

function skipFixed(p: number, end: number, size: number): number {
  return end - p < size ? BAIL : p + size;
}

function skipString(p: number, end: number): number {
  const e = delimited(p, end);
  if (e === BAIL || !checkStrings) return e;
  return isAscii(at, e) || isUtf8(bytes.subarray(at, e)) ? e : BAIL;
}

/** Bit 7 of each byte of a 32-bit word. */
const HIGH_BITS = 0x80808080 | 0;
/** Reading a byte range as whole words needs to know which bits hold which byte. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Most log text is ASCII: its words are OR-ed together, the first and last masked to the string's
 * bytes, so a string costs a few loads and only other text pays for isUtf8's call.
 */
function isAscii(start: number, end: number): boolean {
  if (start === end) return true;
  const w = words;
  // Also where the string's last word is past the whole words (and in a buffer with no words).
  if (!LITTLE_ENDIAN || end > w.length << 2) return isAsciiByBytes(start, end);
  const first = start >> 2;
  const last = (end - 1) >> 2;
  // Little-endian: byte j of a word is its bits 8j to 8j + 7.
  const firstMask = HIGH_BITS << ((start & 3) << 3);
  const lastMask = HIGH_BITS >>> ((3 - ((end - 1) & 3)) << 3);
  if (first === last) return (w[first]! & firstMask & lastMask) === 0;
  let high = w[first]! & firstMask;
  for (let k = first + 1; k < last; k++) high |= w[k]!;
  return ((high | (w[last]! & lastMask)) & HIGH_BITS) === 0;
}

function isAsciiByBytes(start: number, end: number): boolean {
  const b = bytes;
  let high = 0;
  for (let i = start; i < end; i++) high |= b[i]!;
  return high < 0x80;
}

/** An id is empty or exactly its size. */
function skipId(p: number, end: number, size: number): number {
  const e = delimited(p, end);
  return e === BAIL || (e !== at && e - at !== size) ? BAIL : e;
}

function walkRequest(p: number, end: number): number {
  const b = bytes;
  while (p < end) {
    if (b[p] !== 0x0a) return BAIL;
    p = walkResourceLogs(p + 1, end);
    if (p === BAIL) return BAIL;
    resourceLogs++;
  }
  return p;
}

/*
 * Each walker below is given the position of its message's length prefix, within a parent that
 * ends at `end`, and returns where its message ends, or BAIL.
 */

function walkResourceLogs(p: number, end: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  while (p < stop) {
    const tag = b[p++];
    if (tag === 0x0a) p = walkResource(p, stop);
    else if (tag === 0x12) p = walkScopeLogs(p, stop);
    else if (tag === 0x1a) p = skipString(p, stop);
    else return BAIL;
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkResource(p: number, end: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  while (p < stop) {
    const tag = b[p++];
    if (tag === 0x0a) p = walkKeyValue(p, stop, 0);
    else if (tag === 0x10) p = skipVarint(p, stop);
    else return BAIL;
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkScopeLogs(p: number, end: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  while (p < stop) {
    const tag = b[p++];
    if (tag === 0x12) {
      p = walkLogRecord(p, stop);
      logRecords++;
    } else if (tag === 0x0a) p = walkScope(p, stop);
    else if (tag === 0x1a) p = skipString(p, stop);
    else return BAIL;
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkScope(p: number, end: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  while (p < stop) {
    const tag = b[p++];
    if (tag === 0x0a || tag === 0x12) p = skipString(p, stop);
    else if (tag === 0x1a) p = walkKeyValue(p, stop, 0);
    else if (tag === 0x20) p = skipVarint(p, stop);
    else return BAIL;
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkLogRecord(p: number, end: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  let bodies = 0;
  while (p < stop) {
    switch (b[p++]) {
      case 0x09: // time_unix_nano
      case 0x59: // observed_time_unix_nano
        p = skipFixed(p, stop, 8);
        break;
      case 0x10: // severity_number
      case 0x38: // dropped_attributes_count
        p = skipVarint(p, stop);
        break;
      case 0x1a: // severity_text
      case 0x62: // event_name
        p = skipString(p, stop);
        break;
      case 0x2a: // body: protobuf merges a second one, which the exact scan judges
        p = ++bodies > 1 ? BAIL : walkAnyValue(p, stop, 0);
        break;
      case 0x32: // attributes
        p = walkKeyValue(p, stop, 0);
        break;
      case 0x45: // flags
        p = skipFixed(p, stop, 4);
        break;
      case 0x4a:
        p = skipId(p, stop, 16);
        break;
      case 0x52:
        p = skipId(p, stop, 8);
        break;
      default:
        return BAIL;
    }
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkKeyValue(p: number, end: number, depth: number): number {
  const b = bytes;
  // The usual attribute, read in place: one-byte lengths, a key, then a value of one string, int,
  // bool or double filling the rest. Anything else takes the general walk below.
  const length = b[p]!;
  const stop = p + 1 + length;
  if (length < 0x80 && stop <= end && b[p + 1] === 0x0a && depth < MAX_DEPTH) {
    const keyStart = p + 3;
    const keyEnd = keyStart + b[p + 2]!;
    if (keyEnd + 3 <= stop && b[keyEnd] === 0x12 && b[keyEnd + 1] === stop - keyEnd - 2) {
      const tag = b[keyEnd + 2];
      if (tag === 0x0a && b[keyEnd + 3] === stop - keyEnd - 4) {
        if (!checkStrings || (isAscii(keyStart, keyEnd) && isAscii(keyEnd + 4, stop))) return stop;
      } else if ((tag === 0x18 || tag === 0x10 ? skipVarint(keyEnd + 3, stop) : tag === 0x21 ? keyEnd + 11 : BAIL) === stop) {
        if (!checkStrings || isAscii(keyStart, keyEnd)) return stop;
      }
    }
  }
  return walkKeyValueField(p, end, depth);
}

function walkKeyValueField(p: number, end: number, depth: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  let values = 0;
  while (p < stop) {
    const tag = b[p++];
    if (tag === 0x0a) p = skipString(p, stop);
    else if (tag === 0x12 && ++values === 1) p = walkAnyValue(p, stop, depth);
    else return BAIL; // a second value is merged by protobuf, and judged by the exact scan
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkAnyValue(p: number, end: number, depth: number): number {
  if (++depth > MAX_DEPTH) return BAIL;
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  p = at;
  if (p === stop) return stop;
  // One member only: a second one is merged by protobuf, and judged by the exact scan.
  switch (bytes[p++]) {
    case 0x0a: // string_value
      p = skipString(p, stop);
      break;
    case 0x3a: // bytes_value
      p = delimited(p, stop);
      break;
    case 0x10: // bool_value
    case 0x18: // int_value
      p = skipVarint(p, stop);
      break;
    case 0x21: // double_value
      p = skipFixed(p, stop, 8);
      break;
    case 0x2a: // array_value
      p = walkArray(p, stop, depth);
      break;
    case 0x32: // kvlist_value
      p = walkKeyValueList(p, stop, depth);
      break;
    default:
      return BAIL;
  }
  return p === stop ? stop : BAIL;
}

function walkArray(p: number, end: number, depth: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  while (p < stop) {
    if (b[p] !== 0x0a) return BAIL;
    p = walkAnyValue(p + 1, stop, depth);
    if (p === BAIL) return BAIL;
  }
  return stop;
}

function walkKeyValueList(p: number, end: number, depth: number): number {
  const stop = delimited(p, end);
  if (stop === BAIL) return BAIL;
  const b = bytes;
  p = at;
  while (p < stop) {
    if (b[p] !== 0x0a) return BAIL;
    p = walkKeyValue(p + 1, stop, depth);
    if (p === BAIL) return BAIL;
  }
  return stop;
}
