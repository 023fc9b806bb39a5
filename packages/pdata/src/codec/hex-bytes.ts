const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Writes from[start, end) as lowercase hex at to[pos], which must have room for it; returns where
 * it ends. Ids are written this way by every writer that works from protobuf bytes.
 */
export function writeHex(from: Uint8Array, start: number, end: number, to: Uint8Array, pos: number): number {
  for (let i = start; i < end; i++) {
    const byte = from[i]!;
    to[pos++] = HEX_DIGITS[byte >> 4]!;
    to[pos++] = HEX_DIGITS[byte & 0x0f]!;
  }
  return pos;
}
