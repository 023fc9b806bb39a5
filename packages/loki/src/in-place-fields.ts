/**
 * Protobuf fields read where they lie, for the wire transcoders' usual cases. Each gives up (-1,
 * false) at anything else, which the caller leaves to the bounds-checked reader.
 */
import { decimalScale, scaledDigits } from './pdata-hot-path';

/**
 * Where the bytes of the length-delimited field whose length prefix is at `pos` start, when they
 * end exactly at `end`; else -1.
 */
export function fieldFilling(buf: Buffer, pos: number, end: number): number {
  let length = 0;
  for (let scale = 1; pos < end && scale <= 2 ** 28; scale *= 128) {
    const byte = buf[pos++]!;
    length += (byte & 0x7f) * scale;
    if (byte < 0x80) return pos + length === end ? pos : -1;
  }
  return -1;
}

/**
 * The varint filling exactly [pos, end) as a number, when it is below 2^53; else -1 (negative
 * int64s take 10 bytes, and a varint that stops early has another field after it).
 */
export function safeVarint(buf: Buffer, pos: number, end: number): number {
  // 8 bytes hold 56 bits: enough for every safe integer; the sum is exact while below 2^53.
  if (end - pos > 8) return -1;
  let value = 0;
  let scale = 1;
  for (let p = pos; p < end; p++) {
    const byte = buf[p]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return p === end - 1 && value <= Number.MAX_SAFE_INTEGER ? value : -1;
    scale *= 128;
  }
  return -1;
}

/**
 * Where the value of the KeyValue at [start, end) starts when it has the usual layout: a key with
 * a one-byte length, at [start + 2, start + 2 + buf[start + 1]), then the value filling the rest.
 * Else -1.
 */
export function plainKeyValue(buf: Buffer, start: number, end: number): number {
  if (buf[start] !== 0x0a || buf[start + 1]! >= 0x80) return -1;
  const keyEnd = start + 2 + buf[start + 1]!;
  return buf[keyEnd] === 0x12 ? fieldFilling(buf, keyEnd + 1, end) : -1;
}

/** What `readPlainValue` found. */
export const PLAIN_STRING = 1; // its bytes are [stringStart, end)
export const PLAIN_DECIMAL = 2; // digits / 10^scale: how String() writes the number
export const PLAIN_DOUBLE = 3; // a double String() writes otherwise (NaN, 1e21, 0.1 + 0.2)
export const PLAIN_TRUE = 4;
export const PLAIN_FALSE = 5;

/** Where `readPlainValue` leaves what it read: one per reader, reused, so reading allocates nothing. */
export interface PlainValue {
  kind: number;
  stringStart: number;
  digits: number;
  scale: number;
  double: number;
}

export function plainValue(): PlainValue {
  return { kind: 0, stringStart: 0, digits: 0, scale: 0, double: 0 };
}

/**
 * Reads the AnyValue at [start, end) when it is one field the transcoders write without decoding:
 * a string, a non-negative int below 2^53, a double, or a bool in one byte. False for anything
 * else (several fields, where the last wins; a negative or huge int; arrays, kvlists and bytes; a
 * longer bool varint), which the decoder must read.
 */
export function readPlainValue(buf: Buffer, start: number, end: number, value: PlainValue): boolean {
  switch (start < end ? buf[start] : 0) {
    case 0x0a: {
      const stringStart = fieldFilling(buf, start + 1, end);
      if (stringStart < 0) return false;
      value.kind = PLAIN_STRING;
      value.stringStart = stringStart;
      return true;
    }
    case 0x18: {
      const int = safeVarint(buf, start + 1, end);
      if (int < 0) return false;
      value.kind = PLAIN_DECIMAL;
      value.digits = int;
      value.scale = 0;
      return true;
    }
    case 0x10:
      // Any set bit is true, as the decoder reads it.
      if (end - start !== 2 || buf[start + 1]! >= 0x80) return false;
      value.kind = buf[start + 1] !== 0 ? PLAIN_TRUE : PLAIN_FALSE;
      return true;
    case 0x21: {
      if (end - start !== 9) return false;
      const double = buf.readDoubleLE(start + 1);
      const scale = decimalScale(double);
      if (scale < 0) {
        value.kind = PLAIN_DOUBLE;
        value.double = double;
      } else {
        value.kind = PLAIN_DECIMAL;
        value.digits = scaledDigits(double, scale);
        value.scale = scale;
      }
      return true;
    }
  }
  return false;
}
