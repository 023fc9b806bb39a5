import { SluiceError } from '@sluice/core';

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
    if (length !== 0) this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** A trace or span id from its hex form; the first pass checked the length. */
  id(hex: string, size: number, field: string): void {
    this.uint32(size);
    if (this.buf.write(hex, this.pos, size, 'hex') !== size) {
      throw new SluiceError('SLUICE_BAD_DATA', `cannot encode ${field} '${hex}': not ${size * 2} hex characters`);
    }
    this.pos += size;
  }
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
