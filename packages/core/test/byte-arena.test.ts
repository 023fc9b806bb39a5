import assert from 'node:assert/strict';
import { ByteArena } from '../src/exporterhelper/byte-arena';

/** A deterministic generator, so a failure repeats. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('ByteArena', () => {
  it('never hands out memory a slice still holds: random takes and give-backs keep every slice’s bytes', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seeded(seed);
      const arena = new ByteArena(4096, 2);
      const out: { slice: Buffer; fill: number }[] = [];
      let fill = 0;
      for (let step = 0; step < 5000; step++) {
        if (out.length > 0 && random() < 0.45) {
          // Give back any slice, not only the oldest: batches finish out of order.
          const { slice, fill: expected } = out.splice(Math.floor(random() * out.length), 1)[0]!;
          assert.ok(
            slice.every((byte) => byte === expected),
            `seed ${seed} step ${step}: a slice was overwritten while out`,
          );
          arena.giveBack(slice);
        } else {
          const size = 1 + Math.floor(random() * 1100);
          const slice = arena.take(size);
          assert.equal(slice.length, size);
          fill = (fill + 1) & 0xff;
          slice.fill(fill);
          out.push({ slice, fill });
        }
      }
      for (const { slice, fill: expected } of out)
        assert.ok(
          slice.every((byte) => byte === expected),
          `seed ${seed}: a slice was overwritten`,
        );
    }
  });

  it('cuts a chunk again once all of its slices are back, and not before', () => {
    const arena = new ByteArena(1024, 1);
    const first = arena.take(100);
    const second = arena.take(100);
    arena.giveBack(first);
    const third = arena.take(100);
    assert.equal(third.byteOffset, 200, 'a slice still out keeps the chunk from being cut again from the start');
    arena.giveBack(second);
    arena.giveBack(third);
    const again = arena.take(100);
    assert.equal(again.buffer, first.buffer, 'the same memory, reused');
    assert.equal(again.byteOffset, 0);
  });

  it('reuses a chunk it moved on from once its last slice is back', () => {
    const arena = new ByteArena(1024, 1);
    const first = Array.from({ length: 5 }, () => arena.take(200));
    const moved = arena.take(200);
    assert.notEqual(moved.buffer, first[0]!.buffer, 'a sixth slice does not fit the first chunk');
    assert.ok(first.every((slice) => slice.buffer === first[0]!.buffer));
    for (const slice of first) arena.giveBack(slice);
    const more = Array.from({ length: 5 }, () => arena.take(200));
    assert.equal(more[4]!.buffer, first[0]!.buffer, 'once the second chunk is full, the first is cut again');
    assert.equal(more[4]!.byteOffset, 0);
  });

  it('gives a large slice memory of its own, and ignores memory it did not hand out', () => {
    const arena = new ByteArena(1024, 1);
    const large = arena.take(600);
    const chunkSlice = arena.take(100);
    assert.notEqual(large.buffer, chunkSlice.buffer);
    arena.giveBack(large);
    arena.giveBack(Buffer.alloc(10));
    const small = arena.take(10);
    assert.equal(small.buffer, chunkSlice.buffer);
    assert.equal(small.byteOffset, chunkSlice.byteOffset + 100, 'giving back foreign memory changed nothing');
  });
});
