import assert from 'node:assert/strict';
import { tuneHeapGrowth } from '../src/heap-growth';

// Only command lines that opt out: one that does not would set the flag in this very process.
describe('tuneHeapGrowth', () => {
  it('leaves the factor to a user who gave one, in any spelling V8 takes', () => {
    for (const flag of [
      '--heap-growing-percent=50',
      '--heap_growing_percent=50',
      '--heap-growing_percent=50',
      '--heap-growing-percent=0',
    ]) {
      assert.equal(tuneHeapGrowth(['--max-old-space-size=512', flag]), false, flag);
    }
  });
});
