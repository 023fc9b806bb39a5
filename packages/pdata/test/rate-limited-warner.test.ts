import assert from 'node:assert/strict';
import { RateLimitedWarner } from '../src/index';

describe('RateLimitedWarner', () => {
  it('passes each kind of warning on at most once per interval, by an injectable clock', () => {
    let now = 0;
    const lines: Array<[string, unknown]> = [];
    const warner = new RateLimitedWarner(
      1_000,
      (message, fields) => lines.push([message, fields]),
      () => now,
    );
    warner.warn('a', 'one', { n: 1 });
    warner.warn('a', 'two');
    warner.warn('b', 'other kind');
    now = 999;
    warner.warn('a', 'still too soon');
    now = 1_000;
    warner.warn('a', 'three');
    assert.deepEqual(lines, [
      ['one', { n: 1 }],
      ['other kind', undefined],
      ['three', undefined],
    ]);
  });
});
