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
 * Writes the UTF-8 string at from[start, end) to `to` at `pos` as a JSON string literal, escaped
 * as JSON.stringify does, and returns the position after it; `to` must have
 * `jsonStringRoom(end - start)` bytes of room. Valid UTF-8 is copied as it is (decoding and
 * re-encoding would give the same bytes); bytes that are not take the decoder's path: decode
 * with U+FFFD for invalid bytes, then stringify. Both are DataViews so that the usual run of
 * ASCII needing no escape is checked and copied four bytes at a time: a body of 140 bytes in a
 * third of the time of a byte loop.
 */
export function writeJsonString(from: DataView, start: number, end: number, to: DataView, pos: number): number {
  const begin = pos;
  to.setUint8(pos++, QUOTE);
  let i = start;
  while (i < end) {
    if (i + 4 <= end) {
      const word = from.getUint32(i, true);
      if (plainWord(word)) {
        to.setUint32(pos, word, true);
        i += 4;
        pos += 4;
        continue;
      }
    }
    const b = from.getUint8(i);
    if (PLAIN[b] === 1) {
      to.setUint8(pos++, b);
      i++;
      continue;
    }
    if (b < 0x80) {
      const escape = ESCAPES[b]!;
      for (let k = 0; k < escape.length; k++) to.setUint8(pos++, escape[k]!);
      i++;
      continue;
    }
    const length = utf8SequenceLength(from, i, end);
    if (length === 0) {
      const text = Buffer.from(from.buffer, from.byteOffset + start, end - start).toString('utf8');
      return begin + Buffer.from(to.buffer, to.byteOffset, to.byteLength).write(JSON.stringify(text), begin, 'utf8');
    }
    for (const last = i + length; i < last; i++) to.setUint8(pos++, from.getUint8(i));
  }
  to.setUint8(pos++, QUOTE);
  return pos;
}

/**
 * Whether the four bytes of `word` are all ASCII that needs no escape: none has its top bit set,
 * none is below 0x20, none is '"' or '\\'. Each test is the classic SWAR one (a byte below n sets
 * its top bit in `(x - n·0x01010101) & ~x`), exact as a yes/no once no top bit is set.
 */
function plainWord(word: number): boolean {
  const quote = word ^ 0x22222222;
  const backslash = word ^ 0x5c5c5c5c;
  const flags = word | ((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash);
  return (flags & 0x80808080) === 0;
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
function utf8SequenceLength(src: DataView, i: number, end: number): number {
  const b = src.getUint8(i);
  if (b < 0xc2) return 0;
  if (b < 0xe0) return i + 1 < end && (src.getUint8(i + 1) & 0xc0) === 0x80 ? 2 : 0;
  if (b < 0xf0) {
    if (i + 2 >= end) return 0;
    const c = src.getUint8(i + 1);
    const ok = b === 0xe0 ? c >= 0xa0 && c <= 0xbf : b === 0xed ? c >= 0x80 && c <= 0x9f : (c & 0xc0) === 0x80;
    return ok && (src.getUint8(i + 2) & 0xc0) === 0x80 ? 3 : 0;
  }
  if (b < 0xf5) {
    if (i + 3 >= end) return 0;
    const c = src.getUint8(i + 1);
    const ok = b === 0xf0 ? c >= 0x90 && c <= 0xbf : b === 0xf4 ? c >= 0x80 && c <= 0x8f : (c & 0xc0) === 0x80;
    return ok && (src.getUint8(i + 2) & 0xc0) === 0x80 && (src.getUint8(i + 3) & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}
