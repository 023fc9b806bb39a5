import { SluiceError } from '../errors';

/**
 * A bounds-checked cursor over protobuf bytes. Every read checks against `end`, the end of the
 * message being read, so a length that runs past its parent or a truncated value is reported
 * with the byte offset instead of reading garbage.
 */
export class ProtoReader {
  readonly buf: Buffer;
  pos = 0;
  /** The end of the message being read; nested messages narrow it and restore it. */
  end: number;
  /** How deep the AnyValue being read is nested, to stop recursion bombs. */
  depth = 0;
  /** The low and high 32 bits, unsigned, of the last `varint64` read: callers that write the value as text need no bigint. */
  lo = 0;
  hi = 0;
  /**
   * Set once a `uint32` read (a tag, a length) kept the low 32 bits of a larger value. Sluice reads
   * on, as protobuf allows for 32-bit fields; other parsers refuse such a tag or length, so bytes
   * that had one are not forwarded as they are.
   */
  droppedHighBits = false;
  /** Where the last tag started, for error messages. */
  private tagStart = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = this.buf.length;
  }

  tag(): number {
    this.tagStart = this.pos;
    return this.uint32();
  }

  /** A varint's low 32 bits, unsigned (tags, lengths, uint32 and enum fields). */
  uint32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.uint32Slow();
  }

  private uint32Slow(): number {
    const buf = this.buf;
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      const p = start + i;
      if (p >= this.end) throw this.error(`truncated varint at byte ${start}`);
      const b = buf[p]!;
      // Bits past the 32nd shift out of the int32: a varint longer than 5 bytes keeps its low 32 bits.
      if (i < 5) value |= (b & 0x7f) << (7 * i);
      if ((i === 4 && b & 0x70) || (i > 4 && b & 0x7f)) this.droppedHighBits = true;
      if (b < 0x80) {
        this.pos = p + 1;
        return value >>> 0;
      }
    }
    throw this.error(`varint longer than 10 bytes at byte ${start}`);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  bool(): boolean {
    const buf = this.buf;
    const start = this.pos;
    let any = 0;
    for (let i = 0; i < 10; i++) {
      const p = start + i;
      if (p >= this.end) throw this.error(`truncated varint at byte ${start}`);
      const b = buf[p]!;
      any |= b & 0x7f;
      if (b < 0x80) {
        this.pos = p + 1;
        return any !== 0;
      }
    }
    throw this.error(`varint longer than 10 bytes at byte ${start}`);
  }

  /** A two's-complement int64 varint. */
  int64(): bigint {
    this.varint64();
    const hi = this.hi;
    if (hi < 0x200000) return BigInt(hi * 4294967296 + this.lo); // below 2^53: exact as a double
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(this.lo));
  }

  /** Reads a 64-bit varint into `lo` and `hi`. Small non-negative values (most ints in logs) take the short path. */
  varint64(): void {
    const buf = this.buf;
    const start = this.pos;
    const end = this.end;
    let p = start;
    let lo = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw this.error(`truncated varint at byte ${start}`);
      const b = buf[p++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        this.lo = lo;
        this.hi = 0;
        return;
      }
    }
    // The fifth byte straddles the two 32-bit halves: 4 bits to lo, 3 bits to hi.
    if (p >= end) throw this.error(`truncated varint at byte ${start}`);
    let b = buf[p++]!;
    lo = (lo | ((b & 0x0f) << 28)) >>> 0;
    let hi = (b & 0x7f) >> 4;
    for (let shift = 3; b >= 0x80; shift += 7) {
      if (shift > 31) throw this.error(`varint longer than 10 bytes at byte ${start}`);
      if (p >= end) throw this.error(`truncated varint at byte ${start}`);
      b = buf[p++]!;
      hi |= (b & 0x7f) << shift;
    }
    this.pos = p;
    this.lo = lo;
    this.hi = hi >>> 0;
  }

  fixed32(): number {
    const p = this.pos;
    if (this.end - p < 4) throw this.error(`truncated fixed32 at byte ${p}`);
    this.pos = p + 4;
    const buf = this.buf;
    return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
  }

  /** An unsigned fixed64 (nanosecond timestamps). */
  fixed64(): bigint {
    const p = this.pos;
    if (this.end - p < 8) throw this.error(`truncated fixed64 at byte ${p}`);
    this.pos = p + 8;
    const buf = this.buf;
    const lo = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
    const hi = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)) >>> 0;
    if (hi < 0x200000) return BigInt(hi * 4294967296 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  double(): number {
    const p = this.pos;
    if (this.end - p < 8) throw this.error(`truncated double at byte ${p}`);
    this.pos = p + 8;
    return this.buf.readDoubleLE(p);
  }

  /** Reads a length prefix and returns where that field's bytes end. */
  lengthEnd(): number {
    const at = this.pos;
    const length = this.uint32();
    if (length > this.end - this.pos) {
      throw this.error(`length ${length} at byte ${at} runs past the end of its message (byte ${this.end})`);
    }
    return this.pos + length;
  }

  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    if (start === end) return '';
    return FAST_SLICES ? (this.buf as SliceMethods).utf8Slice(start, end) : this.buf.toString('utf8', start, end);
  }

  /** A copy, so the value does not pin the whole request buffer in memory. */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const copy = new Uint8Array(end - this.pos);
    copy.set(this.buf.subarray(this.pos, end));
    this.pos = end;
    return copy;
  }

  /** A trace or span id: `size` bytes as lowercase hex, or '' when empty. */
  id(size: number, field: string): string {
    const start = this.skipId(size, field);
    const end = this.pos;
    if (end === start) return '';
    return FAST_SLICES ? (this.buf as SliceMethods).hexSlice(start, end) : this.buf.toString('hex', start, end);
  }

  /** Checks a trace or span id as `id` does and moves past it; returns where its bytes start. */
  skipId(size: number, field: string): number {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    if (end !== start && end - start !== size) throw this.error(`${field} must be ${size} bytes, got ${end - start} at byte ${start}`);
    return start;
  }

  /**
   * Handles a tag the message reader did not expect: a known field with the wrong wire type is an
   * error; an unknown field is skipped, so newer senders keep working (forward compatibility).
   * `fields` names the message's fields by number.
   */
  skip(tag: number, fields: readonly (string | undefined)[] = NO_FIELD_NAMES): void {
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw this.error(`field number 0 at byte ${this.tagStart}`);
    const name = fields[field];
    if (name !== undefined) {
      throw this.error(`wire type ${wireType} is invalid for field ${name} at byte ${this.tagStart}`);
    }
    this.skipValue(field, wireType);
  }

  private skipValue(field: number, wireType: number): void {
    switch (wireType) {
      case 0:
        this.bool(); // reads and validates a varint of any length
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 3:
        this.skipGroup(field);
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw this.error(`wire type ${wireType} is invalid (field ${field} at byte ${this.tagStart})`);
    }
  }

  /** Groups are a deprecated encoding, but a valid one: skip to the matching end-group tag. */
  private skipGroup(field: number): void {
    if (++this.depth > MAX_DEPTH) throw this.error(`groups nested deeper than ${MAX_DEPTH} at byte ${this.tagStart}`);
    for (;;) {
      if (this.pos >= this.end) throw this.error(`group for field ${field} is not closed`);
      const tag = this.tag();
      if ((tag & 7) === 4) {
        if (tag >>> 3 !== field) throw this.error(`end of group ${tag >>> 3} does not match group ${field} at byte ${this.tagStart}`);
        this.depth--;
        return;
      }
      if (tag >>> 3 === 0) throw this.error(`field number 0 at byte ${this.tagStart}`);
      this.skipValue(tag >>> 3, tag & 7);
    }
  }

  /** Moves past `count` bytes (a fixed32, fixed64 or double read without decoding it, named by `what`). */
  advance(count: number, what = 'value'): void {
    if (this.end - this.pos < count) throw this.error(`truncated ${what} at byte ${this.pos}`);
    this.pos += count;
  }

  error(detail: string): SluiceError {
    return new SluiceError('SLUICE_BAD_DATA', `invalid OTLP protobuf: ${detail}`);
  }
}

/**
 * Buffer#toString(encoding, start, end) validates its arguments and then calls these per-encoding
 * methods; the reader has already bounds-checked, and skipping the wrapper makes string-heavy
 * decoding about a fifth faster. They are not documented, so fall back when a runtime lacks them.
 */
interface SliceMethods extends Buffer {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}
const FAST_SLICES = ['utf8Slice', 'hexSlice'].every(
  (name) => typeof (Buffer.prototype as unknown as Record<string, unknown>)[name] === 'function',
);

/** For readers that know no field by name: every unexpected field is skipped as unknown. */
const NO_FIELD_NAMES: readonly (string | undefined)[] = [];

/** How deep AnyValues (and skipped groups) may nest: deep enough for real data, shallow enough for the stack. */
export const MAX_DEPTH = 64;
