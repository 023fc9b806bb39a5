import { randomBytes } from 'node:crypto';

/*
 * Exact number text for OTLP/JSON. JSON.parse turns every number into a double, so an int64
 * sent as a JSON number beyond 2^53 would arrive rounded (Node 20's JSON.parse cannot show the
 * source text). Protojson keeps such values exact, so we do too: a body found to hold such a
 * value is parsed again with its long number tokens rewritten into strings that carry their
 * exact text behind a marker. The decoder then reads int64 fields from that text exactly and
 * double fields as doubles, and refuses the marker anywhere a string is expected.
 *
 * A token shorter than LONG is never rewritten: its mantissa has at most 15 digits, which a
 * double keeps, so its shortest decimal form (String(n)) is the token's exact value.
 */

/**
 * What a rewritten token starts with after parsing. Random per process, so that no client can
 * send a string that passes for a rewritten number.
 */
export const NUMBER_MARK = `#sluice-number-${randomBytes(12).toString('hex')}#`;

const LONG = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Rewrites each number token of LONG or more characters into `"<NUMBER_MARK><token>"`, leaving
 * strings alone. `text` must be valid JSON (it parsed once already): outside strings, a run
 * that starts with `-` or a digit is then exactly one number token, and always a value.
 */
export function quoteLongNumbers(text: string): string {
  let out = '';
  let copied = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      if (end - i >= LONG) {
        out += `${text.slice(copied, i)}"${NUMBER_MARK}${text.slice(i, end)}"`;
        copied = end;
      }
      i = end - 1;
    }
  }
  return out + text.slice(copied);
}

/** The index of the quote closing the string that opens at `start` (text.length if none). */
function closingQuote(text: string, start: number): number {
  let at = start;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45;
}

/** The exact token text of a rewritten number, or undefined for any other value. */
export function markedNumber(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith(NUMBER_MARK) ? value.slice(NUMBER_MARK.length) : undefined;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
/** Beyond any 64-bit integer: what a number with more digits than that is clamped to. */
const TOO_BIG = 10n ** 21n;

/**
 * The exact integer a decimal number text stands for, as protojson reads int64 numbers
 * (`1e3` and `5.0` are integers; `1.5` is not): undefined when it is not an integer.
 * Values beyond 21 digits come back as ±10^21, which every 64-bit range check refuses.
 */
export function exactInteger(text: string): bigint | undefined {
  const parts = DECIMAL.exec(text);
  if (!parts) return undefined;
  const fraction = parts[3] ?? '';
  const all = (parts[2]! + fraction).replace(/^0+/, '');
  if (all === '') return 0n;
  let exponent = Number(parts[4] ?? 0) - fraction.length;
  let end = all.length;
  while (exponent < 0 && all.charCodeAt(end - 1) === 0x30) {
    end--;
    exponent++;
  }
  if (exponent < 0) return undefined;
  const digits = all.slice(0, end);
  const negative = parts[1] === '-';
  if (digits.length + exponent > 21) return negative ? -TOO_BIG : TOO_BIG;
  const magnitude = BigInt(digits) * 10n ** BigInt(exponent);
  return negative ? -magnitude : magnitude;
}
