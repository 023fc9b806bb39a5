/**
 * Snappy block compression, as Loki expects of protobuf push bodies. The native `snappy`
 * package is about 2.5x faster; `snappyjs` (pure JS) takes over where the native one cannot load.
 */
type Compress = (input: Buffer) => Buffer;

function loadCompressor(): { compress: Compress; implementation: 'snappy' | 'snappyjs' } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native dependency, loaded at runtime with a pure-JS fallback
    const native = require('snappy') as { compressSync(input: Buffer, options?: { copyOutputData?: boolean }): Buffer };
    // Copying the output into a plain Buffer is ~10x cheaper than the external buffer it
    // otherwise returns, whose finalizer costs more than the compression itself.
    return { compress: (input) => native.compressSync(input, { copyOutputData: true }), implementation: 'snappy' };
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when the native module is missing, synchronously like it
    const js = require('snappyjs') as { compress(input: Buffer): Buffer };
    return { compress: (input) => js.compress(input), implementation: 'snappyjs' };
  }
}

const loaded = loadCompressor();

export const snappyCompress: Compress = loaded.compress;
/** Which implementation loaded, for the startup log. */
export const snappyImplementation = loaded.implementation;
