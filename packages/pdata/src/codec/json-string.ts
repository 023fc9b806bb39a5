/*
 * JSON string literals written straight from UTF-8 bytes, byte for byte what JSON.stringify
 * gives for the string those bytes decode to: for transcoders that write JSON without decoding.
 */

const QUOTE = 0x22;

/** The most bytes `writeJsonString` writes for `length` bytes: 6 per byte (`\u001f`, or U+FFFD's 3 for a bad one) and the quotes. */
export function jsonStringRoom(length: number): number {
  return length * 6 + 2;
}

/**
 * Writes the UTF-8 string at src[start, end) to `out` at `pos` as a JSON string literal, escaped
 * as JSON.stringify does, and returns the position after it; `out` must have
 * `jsonStringRoom(end - start)` bytes of room. Valid UTF-8 is copied as it is (decoding and
 * re-encoding would give the same bytes); bytes that are not take the decoder's path: decode
 * with U+FFFD for invalid bytes, then stringify.
 */
export function writeJsonString(src: Buffer, start: number, end: number, out: Buffer, pos: number): number {
  const begin = pos;
  out[pos++] = QUOTE;
  let i = start;
  while (i < end) {
    const b = src[i]!;
    if (PLAIN[b] === 1) {
      out[pos++] = b;
      i++;
      continue;
    }
    if (b < 0x80) {
      const escape = ESCAPES[b]!;
      for (let k = 0; k < escape.length; k++) out[pos++] = escape[k]!;
      i++;
      continue;
    }
    const length = utf8SequenceLength(src, i, end);
    if (length === 0) return begin + out.write(JSON.stringify(src.toString('utf8', start, end)), begin, 'utf8');
    for (const last = i + length; i < last; i++) out[pos++] = src[i]!;
  }
  out[pos++] = QUOTE;
  return pos;
}

/** JSON.stringify's escape for each ASCII character that needs one (control characters, '"', '\\'), taken from V8 itself. */
const ESCAPES: (Uint8Array | null)[] = Array.from({ length: 0x80 }, (_, code) => {
  const quoted = JSON.stringify(String.fromCharCode(code));
  return quoted.length === 3 ? null : Buffer.from(quoted.slice(1, -1), 'latin1');
});
/** 1 for each byte copied into a JSON string as it is: ASCII that needs no escape. A table beats the comparisons. */
const PLAIN = Uint8Array.from({ length: 0x100 }, (_, code) => (code < 0x80 && ESCAPES[code] === null ? 1 : 0));

/**
 * The length of the well-formed UTF-8 sequence whose lead byte (0x80 or above) is at src[i], or 0
 * when it is not one: a stray continuation byte, an overlong form, a surrogate, a code point above
 * U+10FFFF or a sequence cut short (Unicode's table of well-formed byte sequences).
 */
function utf8SequenceLength(src: Buffer, i: number, end: number): number {
  const b = src[i]!;
  if (b < 0xc2) return 0;
  if (b < 0xe0) return i + 1 < end && (src[i + 1]! & 0xc0) === 0x80 ? 2 : 0;
  if (b < 0xf0) {
    if (i + 2 >= end) return 0;
    const c = src[i + 1]!;
    const ok = b === 0xe0 ? c >= 0xa0 && c <= 0xbf : b === 0xed ? c >= 0x80 && c <= 0x9f : (c & 0xc0) === 0x80;
    return ok && (src[i + 2]! & 0xc0) === 0x80 ? 3 : 0;
  }
  if (b < 0xf5) {
    if (i + 3 >= end) return 0;
    const c = src[i + 1]!;
    const ok = b === 0xf0 ? c >= 0x90 && c <= 0xbf : b === 0xf4 ? c >= 0x80 && c <= 0x8f : (c & 0xc0) === 0x80;
    return ok && (src[i + 2]! & 0xc0) === 0x80 && (src[i + 3]! & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}
