import assert from 'node:assert/strict';
import { decimalLength, decimalScale, scaledDigits, writeDecimal } from '../src';

/** What the transcoder writes for a double: the fixed-point digits when decimalScale allows, else undefined. */
function written(value: number): string | undefined {
  const scale = decimalScale(value);
  if (scale < 0) return undefined;
  const digits = scaledDigits(value, scale);
  const length = decimalLength(digits, scale);
  const out = Buffer.alloc(length);
  assert.equal(writeDecimal(out, 0, digits, scale, length), length);
  return out.toString('latin1');
}

describe('decimal text', () => {
  it('writes what String() writes, or declines', () => {
    const samples = [
      0,
      -0,
      1,
      -1,
      12.5,
      0.1,
      0.2,
      0.3,
      0.1 + 0.2,
      0.05,
      -0.001,
      0.0001,
      1e21,
      1e20,
      2 ** 50,
      2 ** 50 - 1,
      2 ** 53,
      -(2 ** 49) - 0.5,
    ];
    samples.push(Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 123456.789, 999.9995, 9.995, 1.005);
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200_000; i++) {
      const magnitude = 10 ** Math.floor(next() * 20 - 6);
      const value = (next() - 0.5) * magnitude;
      samples.push(value, Math.round(value * 1000) / 1000, Math.round(value * 10) / 10, Math.round(value));
    }
    let declined = 0;
    for (const value of samples) {
      const text = written(value);
      if (text === undefined) declined++;
      else assert.equal(text, String(value), `for ${value}`);
    }
    assert.ok(declined > 0 && declined < samples.length / 2, `declined ${declined} of ${samples.length}`);
    for (const value of [Number.NaN, Infinity, 1e21, 0.1234]) assert.equal(decimalScale(value), -1, String(value));
  });

  it('writes every safe integer at scale 0', () => {
    for (const value of [0, 7, 10, 99, 100, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, 9_007_199_254_740_990]) {
      const length = decimalLength(value, 0);
      const out = Buffer.alloc(length);
      writeDecimal(out, 0, value, 0, length);
      assert.equal(out.toString('latin1'), String(value));
    }
  });
});
