import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteArena } from '../src/exporterhelper/byte-arena';

describe('ByteArena', () => {
  it('never hands out memory a slice still holds: any order of takes and give-backs keeps every slice’s bytes', () => {
    // A step takes a slice of `size` bytes, or (give) gives back the slice at `pick` among those out:
    // batches finish out of order.
    // Or (span) views the last `size % 4 + 1` slices as one, when they lie one after another, as a batch joins its requests.
    const step = fc.record({ give: fc.boolean(), span: fc.boolean(), size: fc.integer({ min: 1, max: 1100 }), pick: fc.nat() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 400 }), (steps) => {
        const arena = new ByteArena(4096, 2);
        let fill = 0;
        const out: { slice: Buffer; fill: number | number[] }[] = [];
        const intact = ({ slice, fill: expected }: { slice: Buffer; fill: number | number[] }) =>
          typeof expected === 'number' ? slice.every((byte) => byte === expected) : slice.every((byte, i) => byte === expected[i]);
        for (const { give, span, size, pick } of steps) {
          if (span && out.length > 0) {
            const joined = out.slice(-((size % 4) + 1));
            const view = arena.span(joined.map((item) => item.slice));
            if (view !== undefined) out.push({ slice: view, fill: joined.flatMap((item) => [...item.slice]) });
          } else if (give && out.length > 0) {
            const given = out.splice(pick % out.length, 1)[0]!;
            if (!intact(given)) return false;
            arena.giveBack(given.slice);
          } else {
            const slice = arena.take(size);
            if (slice.length !== size) return false;
            fill = (fill + 1) & 0xff;
            slice.fill(fill);
            out.push({ slice, fill });
          }
        }
        return out.every(intact);
      }),
      { numRuns: 300 },
    );
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

  it('views slices that lie one after another as one, held until it is given back', () => {
    const arena = new ByteArena(1024, 1);
    const [a, b, c] = [arena.take(100), arena.take(50), arena.take(30)];
    a.fill(1);
    b.fill(2);
    c.fill(3);
    const span = arena.span([a, b, c])!;
    assert.deepEqual(span, Buffer.concat([a, b, c]));
    assert.equal(span.buffer, a.buffer, 'a view, not a copy');
    for (const slice of [a, b, c]) arena.giveBack(slice);
    assert.equal(arena.take(10).byteOffset, 180, 'the span keeps the chunk from being cut again');
    assert.equal(arena.span([a, c]), undefined, 'a gap between them');
    assert.equal(arena.span([b, a]), undefined, 'out of order');
    assert.equal(arena.span([Buffer.alloc(4)]), undefined, 'memory the arena did not hand out');
    assert.equal(arena.span([]), undefined);
    const other = new ByteArena(1024, 1).take(10);
    assert.equal(arena.span([other]), undefined, 'another arena’s memory');
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
