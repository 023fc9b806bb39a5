import assert from 'node:assert/strict';
import { jsonStringRoom, viewOf, writeJsonString } from '../src';

// Bytes that take each of the writer's paths: plain ASCII, escapes, DEL, valid multi-byte
// sequences and bytes that cannot start or continue one.
const ALPHABET = [
  0x00, 0x08, 0x0a, 0x1f, 0x20, 0x21, 0x22, 0x2f, 0x41, 0x5c, 0x7e, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xf0,
  0x9f, 0x99, 0x82, 0xf4, 0x90, 0xff,
];

/** What the writer must give: the bytes decoded as the decoder does (U+FFFD for bad ones), then stringified. */
function expected(bytes: Buffer): Buffer {
  return Buffer.from(JSON.stringify(bytes.toString('utf8')), 'utf8');
}

function written(bytes: Buffer, offset: number): Buffer {
  // The source sits at `offset` inside a larger buffer, and the output after a few bytes of other
  // content: the views' offsets are their own.
  const backing = Buffer.alloc(bytes.length + 16, 0x55);
  bytes.copy(backing, 3 + offset);
  const from = viewOf(backing.subarray(3));
  const out = Buffer.alloc(jsonStringRoom(bytes.length) + 8, 0xee);
  const to = viewOf(out.subarray(5));
  const end = writeJsonString(from, offset, offset + bytes.length, to, 2);
  assert.ok(out.subarray(5, 7).equals(Buffer.from([0xee, 0xee])), 'nothing written before pos');
  return out.subarray(7, 5 + end);
}

describe('writeJsonString', () => {
  it('writes what JSON.stringify writes for the decoded bytes, at every length and alignment', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    let checked = 0;
    for (let length = 0; length <= 21; length++) {
      for (let round = 0; round < 300; round++) {
        // Mostly plain ASCII, so that words pass the check and the odd byte lands at every place in one.
        const bytes = Buffer.from(
          Array.from({ length }, () =>
            random() < 0.7 ? 0x20 + Math.floor(random() * 0x5f) : ALPHABET[Math.floor(random() * ALPHABET.length)]!,
          ),
        );
        for (let offset = 0; offset < 4; offset++) {
          assert.deepEqual(written(bytes, offset).toString('latin1'), expected(bytes).toString('latin1'), `bytes ${bytes.toString('hex')}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 22 * 300 * 4);
  });

  it('copies a long run of plain ASCII and the one byte needing an escape at each place in it', () => {
    const plain = Buffer.from('request completed: POST /api/v1/checkout/1042 in 12ms');
    for (const special of [0x22, 0x5c, 0x0a, 0x00, 0x1f]) {
      for (let at = 0; at < plain.length; at++) {
        const bytes = Buffer.from(plain);
        bytes[at] = special;
        assert.deepEqual(written(bytes, at % 4), expected(bytes));
      }
    }
    assert.deepEqual(written(plain, 1), expected(plain));
  });

  it('takes a word for plain only when each of its bytes is: every pair of ASCII bytes at every two places of a word', () => {
    // The word test subtracts across byte boundaries: a borrow from one byte must not hide
    // another's need for an escape, nor make a plain byte look like one.
    const word = Buffer.alloc(4);
    let checked = 0;
    for (let first = 0; first < 4; first++) {
      for (let second = first + 1; second < 4; second++) {
        for (const filler of [0x20, 0x23, 0x5d, 0x7f]) {
          for (let a = 0; a < 0x80; a++) {
            for (let b = 0; b < 0x80; b++) {
              word.fill(filler);
              word[first] = a;
              word[second] = b;
              const actual = written(word, first % 4);
              if (!actual.equals(expected(word)))
                assert.equal(actual.toString('latin1'), expected(word).toString('latin1'), word.toString('hex'));
              checked++;
            }
          }
        }
      }
    }
    assert.equal(checked, 6 * 4 * 128 * 128);
  });
});
