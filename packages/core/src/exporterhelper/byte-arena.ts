/**
 * Memory for the fragments a queue form prepares and the payloads an exporter sends, reused
 * instead of allocated per request.
 *
 * Every Buffer allocated per request adds to the external memory whose turnover makes V8 run
 * full (mark-compact) collections, on the main thread and on helper threads: a fresh ~49 KB
 * Loki fragment per 100-record request caused about 40 of them in 8 seconds and a third of the
 * Loki path's CPU. Slices are cut from large chunks in order; a chunk is cut again once every
 * slice taken from it has been given back. A slice that is never given back costs nothing but
 * the reuse: its chunk is garbage-collected like any Buffer once nothing holds it. One given back
 * late (a batch retried for minutes) keeps its whole chunk from being cut again until then.
 */

/** Chunks this large hold dozens of typical fragments (a 100-record request is ~50 KB). */
const DEFAULT_CHUNK_BYTES = 2 * 1024 * 1024;
/** Idle chunks kept for reuse after a burst; more are left to the collector. */
const DEFAULT_SPARE_CHUNKS = 4;

interface Chunk {
  memory: Buffer;
  /** Slices taken and not given back yet. */
  slices: number;
}

export class ByteArena {
  /** Keyed by the chunk's memory, weakly: a chunk whose slices were dropped without giving back is collected. */
  private readonly chunkOf = new WeakMap<ArrayBufferLike, Chunk>();
  private readonly spare: Chunk[] = [];
  private current: Chunk | undefined;
  private used = 0;
  private readonly largestSlice: number;

  constructor(
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
    private readonly spareChunks = DEFAULT_SPARE_CHUNKS,
  ) {
    // A slice larger than this would leave most of a chunk unused: it gets memory of its own.
    this.largestSlice = chunkBytes >>> 2;
  }

  /** `size` bytes to fill. Give them back (`giveBack`) once nothing will read them again. */
  take(size: number): Buffer {
    if (size > this.largestSlice) return Buffer.allocUnsafe(size);
    let chunk = this.current;
    if (chunk === undefined || this.used + size > this.chunkBytes) {
      // The chunk left behind still has slices out (the last one back resets `used`): it is kept when they are back.
      chunk = this.current = this.spare.pop() ?? this.newChunk();
      this.used = 0;
    }
    chunk.slices++;
    const slice = chunk.memory.subarray(this.used, this.used + size);
    this.used += size;
    return slice;
  }

  /** A copy of `bytes` in arena memory, so that `bytes` itself may die young. */
  copy(bytes: Uint8Array): Buffer {
    const slice = this.take(bytes.byteLength);
    slice.set(bytes);
    return slice;
  }

  /**
   * One view of `slices` when they lie one after another in one chunk (requests queued in turn
   * usually do), held like a slice of its own: give it back once read. Undefined when they do
   * not, and the caller copies them.
   */
  span(slices: readonly Uint8Array[]): Buffer | undefined {
    const first = slices[0];
    if (first === undefined) return undefined;
    const chunk = this.chunkOf.get(first.buffer);
    if (chunk === undefined) return undefined;
    let end = first.byteOffset + first.byteLength;
    for (let i = 1; i < slices.length; i++) {
      const slice = slices[i]!;
      if (slice.buffer !== first.buffer || slice.byteOffset !== end) return undefined;
      end += slice.byteLength;
    }
    chunk.slices++;
    return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
  }

  /**
   * Returns a slice `take` gave out; once all of a chunk's slices are back it is cut again.
   * Each slice is given back once, by its one owner; memory not from this arena is ignored.
   */
  giveBack(slice: Uint8Array): void {
    const chunk = this.chunkOf.get(slice.buffer);
    if (chunk === undefined || --chunk.slices !== 0) return;
    if (chunk === this.current) this.used = 0;
    else this.keep(chunk);
  }

  private keep(chunk: Chunk): void {
    if (this.spare.length < this.spareChunks) this.spare.push(chunk);
  }

  private newChunk(): Chunk {
    const chunk = { memory: Buffer.allocUnsafeSlow(this.chunkBytes), slices: 0 };
    this.chunkOf.set(chunk.memory.buffer, chunk);
    return chunk;
  }
}
