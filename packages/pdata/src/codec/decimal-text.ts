/**
 * Numbers written as String(number) writes them, straight into bytes: the ints and the short
 * doubles (12.5, 0.25) of log attributes, without making a string for each.
 *
 * A number is `digits / 10^scale` (scale 0 to 3 fractional digits). For a double, the smallest
 * scale that gives it back exactly is its shortest round-trip form, which is what String()
 * writes, as long as |digits| < 2^50: two decimals with at most `scale` fractional digits are
 * then further apart than the spacing of doubles there, so no shorter one rounds to it too.
 */

/** Below this, `digits` has room for the argument above and every step is exact in a double. */
const MAX_DIGITS = 2 ** 50;
const SCALES = [1, 10, 100, 1000];

/** The fixed-point `digits` of a double at `scale` fractional digits, or -1 for a scale when none is short enough (NaN, Infinity, 1e21, 0.1234). */
export function decimalScale(value: number): number {
  for (let scale = 0; scale < SCALES.length; scale++) {
    const digits = Math.round(value * SCALES[scale]!);
    if (digits / SCALES[scale]! === value && Math.abs(digits) < MAX_DIGITS) return scale;
  }
  return -1;
}

/** `value` at `scale` as an integer (exact, per decimalScale). */
export function scaledDigits(value: number, scale: number): number {
  return Math.round(value * SCALES[scale]!);
}

/** The length of `digits / 10^scale` written out (a minus sign, the integer part, a point and `scale` digits). */
export function decimalLength(digits: number, scale: number): number {
  let length = digits < 0 ? 1 : 0;
  let whole = Math.floor(Math.abs(digits) / SCALES[scale]!);
  for (length++; whole >= 10; whole = Math.floor(whole / 10)) length++;
  return scale > 0 ? length + 1 + scale : length;
}

/** Writes `digits / 10^scale` in `length` bytes (decimalLength's) at `pos`; -0 is "0", as String() has it. */
export function writeDecimal(out: Uint8Array, pos: number, digits: number, scale: number, length: number): number {
  let rest = Math.abs(digits);
  let p = pos + length - 1;
  for (let i = 0; i < scale; i++) {
    const next = Math.floor(rest / 10);
    out[p--] = 0x30 + (rest - next * 10);
    rest = next;
  }
  if (scale > 0) out[p--] = 0x2e;
  do {
    const next = Math.floor(rest / 10);
    out[p--] = 0x30 + (rest - next * 10);
    rest = next;
  } while (rest > 0);
  if (digits < 0) out[p] = 0x2d;
  return pos + length;
}
