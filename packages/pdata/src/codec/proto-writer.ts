import { SluiceError } from '../errors';

/**
 * The second pass of a two-pass protobuf encoder: the first pass measured every nested message
 * and string and logged the lengths in visiting order; this one writes into a buffer allocated
 * once at the exact size, taking each length prefix from that log instead of measuring again.
 */
export class ProtoWriter {
  readonly buf: Buffer;
  pos = 0;
  private next = 0;

  constructor(
    size: number,
    private readonly lengths: readonly number[],
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Writes the next logged length: the prefix of the message or string about to be written. */
  lengthPrefix(): number {
    const length = this.lengths[this.next++]!;
    this.uint32(length);
    return length;
  }

  byte(value: number): void {
    this.buf[this.pos++] = value;
  }

  uint32(value: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** A two's-complement int64 varint (negative values take 10 bytes, as protobuf specifies). */
  int64(value: bigint): void {
    if (value >= 0n && value <= 0xffffffffn) {
      this.uint32(Number(value));
      return;
    }
    const bits = BigInt.asUintN(64, value);
    let lo = Number(bits & 0xffffffffn);
    let hi = Number(bits >> 32n);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  fixed32(value: number): void {
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = value & 0xff;
    buf[pos + 1] = (value >>> 8) & 0xff;
    buf[pos + 2] = (value >>> 16) & 0xff;
    buf[pos + 3] = (value >>> 24) & 0xff;
    this.pos = pos + 4;
  }

  fixed64(value: bigint): void {
    this.fixed32(Number(value & 0xffffffffn));
    this.fixed32(Number((value >> 32n) & 0xffffffffn));
  }

  double(value: number): void {
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** A length-prefixed string; its byte length was logged by the first pass. */
  string(value: string): void {
    const length = this.lengthPrefix();
    if (length === value.length && length <= SHORT_STRING) {
      // All ASCII (one byte per UTF-16 unit), and short: copying in JS beats the call into C++.
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos + i] = value.charCodeAt(i);
      this.pos = pos + length;
    } else if (length !== 0) {
      this.pos += FAST_UTF8_WRITE
        ? (this.buf as Utf8WriteMethod).utf8Write(value, this.pos, length)
        : this.buf.write(value, this.pos, length, 'utf8');
    }
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** A trace or span id from its hex form; the first pass checked the length. */
  id(hex: string, size: number, field: string): void {
    this.uint32(size);
    const buf = this.buf;
    const pos = this.pos;
    let invalid = 0;
    for (let i = 0; i < size; i++) {
      const high = hexDigit(hex.charCodeAt(2 * i));
      const low = hexDigit(hex.charCodeAt(2 * i + 1));
      invalid |= high | low; // -1 for a non-hex character
      buf[pos + i] = (high << 4) | low;
    }
    if (invalid < 0) throw new SluiceError('SLUICE_BAD_DATA', `cannot encode ${field} '${hex}': not ${size * 2} hex characters`);
    this.pos = pos + size;
  }
}

/** Up to this many bytes, an ASCII string is copied byte by byte rather than through Buffer#write. */
const SHORT_STRING = 24;

/** What Buffer#write calls after validating its arguments (undocumented: fall back when absent). */
interface Utf8WriteMethod extends Buffer {
  utf8Write(value: string, offset: number, length: number): number;
}
const FAST_UTF8_WRITE = typeof (Buffer.prototype as unknown as Record<string, unknown>).utf8Write === 'function';

const HEX_DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_DIGITS['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_DIGITS['0123456789ABCDEF'.charCodeAt(i)] = i;
}

function hexDigit(code: number): number {
  return code < 128 ? HEX_DIGITS[code]! : -1;
}

export function uint32Size(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

export function int64Size(value: bigint): number {
  if (value >= 0n && value <= 0xffffffffn) return uint32Size(Number(value));
  if (value < 0n) return 10;
  const hi = Number(BigInt.asUintN(64, value) >> 32n);
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}
