import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyAsciiWords, copyWords, sameWords, viewOf } from '../src';

// Every length from 0 to 40 at every alignment, in a buffer that is a view into a larger one
// (a DataView's offsets are its own, not its ArrayBuffer's).
const backing = randomBytes(4096);
const bytes = backing.subarray(13, 13 + 1024);
const view = viewOf(bytes);

describe('byte-words', () => {
  it('copies any range, at any alignment, to any position, and no byte more', () => {
    for (let length = 0; length <= 40; length++) {
      for (let start = 0; start < 8; start++) {
        for (let pos = 0; pos < 8; pos++) {
          const to = Buffer.alloc(64, 0xee);
          const end = copyWords(view, start, start + length, viewOf(to), pos);
          assert.equal(end, pos + length);
          assert.deepEqual(to.subarray(pos, end), bytes.subarray(start, start + length));
          assert.ok(to.subarray(0, pos).every((b) => b === 0xee) && to.subarray(end).every((b) => b === 0xee));
        }
      }
    }
  });

  it('copies ASCII and refuses a range with any byte of 0x80 or more, wherever it is', () => {
    const ascii = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH');
    for (let length = 0; length <= 40; length++) {
      for (let start = 0; start < 4; start++) {
        const to = Buffer.alloc(64);
        assert.equal(copyAsciiWords(viewOf(ascii), start, start + length, viewOf(to), 3), 3 + length);
        assert.deepEqual(to.subarray(3, 3 + length), ascii.subarray(start, start + length));
        for (let at = start; at < start + length; at++) {
          for (const high of [0x80, 0xc3, 0xff]) {
            const text = Buffer.from(ascii);
            text[at] = high;
            assert.equal(copyAsciiWords(viewOf(text), start, start + length, viewOf(Buffer.alloc(64)), 3), -1, `${length} ${at}`);
          }
        }
      }
    }
  });

  it('compares ranges, in one view or two: equal only with the same length and every byte the same', () => {
    const data = Buffer.alloc(200);
    const other = Buffer.alloc(64);
    for (let length = 0; length <= 40; length++) {
      const a = 1;
      const b = 100 + (length % 5);
      const c = 3 + (length % 4);
      randomBytes(length).copy(data, a);
      data.copy(data, b, a, a + length);
      data.copy(other, c, a, a + length);
      const dataView = viewOf(data);
      const otherView = viewOf(other.subarray(2));
      for (const [view, start] of [
        [dataView, b],
        [otherView, c - 2],
      ] as const) {
        assert.ok(sameWords(dataView, a, a + length, view, start, start + length));
        if (length > 0) assert.ok(!sameWords(dataView, a, a + length, view, start, start + length - 1), 'another length');
      }
      for (let at = 0; at < length; at++) {
        data[b + at]! ^= 0x01;
        other[c + at]! ^= 0x01;
        assert.ok(!sameWords(dataView, a, a + length, dataView, b, b + length), `${length} ${at}`);
        assert.ok(!sameWords(dataView, a, a + length, otherView, c - 2, c - 2 + length), `${length} ${at}, two views`);
        data[b + at]! ^= 0x01;
        other[c + at]! ^= 0x01;
      }
    }
  });
});
