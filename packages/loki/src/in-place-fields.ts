/**
 * Protobuf fields read where they lie, for the wire transcoders' usual cases: each answers -1
 * for anything else, which the caller leaves to the bounds-checked reader.
 */

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
