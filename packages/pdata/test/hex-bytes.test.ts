import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { viewOf, writeHex } from '../src';

describe('writeHex', () => {
  it('writes lowercase hex as Buffer#toString does, at any position, and nothing else', () => {
    const from = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64)]);
    for (const [start, end] of [
      [0, 256],
      [0, 0],
      [3, 19],
      [256, 320],
      [7, 8],
    ] as const) {
      for (let pos = 0; pos < 4; pos++) {
        const backing = Buffer.alloc(1024, 0x2e);
        const to = backing.subarray(5);
        const length = 2 * (end - start);
        assert.equal(writeHex(from, start, end, viewOf(to), pos), pos + length);
        assert.equal(to.toString('latin1', pos, pos + length), from.toString('hex', start, end));
        assert.equal(backing.toString('latin1', 0, 5 + pos), '.'.repeat(5 + pos));
        assert.equal(to[pos + length], 0x2e);
      }
    }
  });
});
