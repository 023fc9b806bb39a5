/**
 * Below this length a byte loop beats TypedArray#set; from it, set copies without the view
 * Buffer#copy makes of a range. Most label names and metadata pairs are short.
 */
const SHORT_COPY = 8;

/** Copies all of `from` to `to` at `pos`, which must have room; returns where it ends. */
export function writeBytes(from: Uint8Array, to: Uint8Array, pos: number): number {
  const length = from.length;
  if (length >= SHORT_COPY) to.set(from, pos);
  else for (let i = 0; i < length; i++) to[pos + i] = from[i]!;
  return pos + length;
}
