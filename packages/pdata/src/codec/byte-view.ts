/**
 * A DataView of exactly the bytes of `bytes`, so that both take the same offsets. Writers keep
 * one over their output for stores of several bytes at once (hex digit pairs, 32-bit words).
 */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A view of ASCII text's bytes: the fixed parts a writer copies four bytes at a time. */
export function asciiView(text: string): DataView {
  return viewOf(Buffer.from(text, 'latin1'));
}

/** A view of no bytes: what a writer holds once it has let go of a buffer. */
export const EMPTY_VIEW = viewOf(new Uint8Array(0));
