import assert from 'node:assert/strict';
import { BoundedQueue } from '../src/exporterhelper/bounded-queue';

/** Reserves and pushes an entry of `size`, as consume does; false when refused. */
function offer(queue: BoundedQueue<{ size: number }>, size: number): boolean {
  if (!queue.tryReserve(size)) return false;
  queue.push({ size });
  return true;
}

describe('bounded queue: a refused size keeps the queue full until it fits', () => {
  it('latches full on a refused entry and then refuses even a size that would fit', () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    assert.ok(offer(queue, 8));
    assert.equal(queue.isFull(), false, 'room left is not full');
    assert.equal(offer(queue, 4), false);
    assert.equal(queue.isFull(), true);
    assert.equal(offer(queue, 2), false, '2 would fit in the 2 free, but the refused 4 comes first');
    assert.equal(queue.size(), 8);
  });

  it('clears once the free room reaches the refused size, then admits by the usual rule', async () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    for (const size of [3, 3, 3]) assert.ok(offer(queue, size));
    assert.equal(offer(queue, 5), false);
    await queue.take(); // 4 free: still short of 5
    assert.equal(queue.isFull(), true);
    assert.equal(offer(queue, 1), false);
    await queue.take(); // 7 free
    assert.equal(queue.isFull(), false);
    assert.ok(offer(queue, 5));
    assert.ok(offer(queue, 2), 'a small entry fits again in what is left');
    assert.equal(queue.size(), 10);
  });

  it('clears when room given back without a take reaches the refused size', () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    assert.ok(queue.tryReserve(9));
    assert.equal(queue.tryReserve(6), false);
    queue.release(9);
    assert.equal(queue.isFull(), false);
    assert.ok(queue.tryReserve(6));
  });

  it('keeps an entry bigger than the capacity latched until the queue is empty, then admits it', async () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    assert.ok(offer(queue, 1));
    assert.ok(offer(queue, 1));
    assert.equal(offer(queue, 25), false);
    await queue.take();
    assert.equal(queue.isFull(), true, '9 free is still short of 25');
    assert.equal(offer(queue, 1), false);
    await queue.take();
    assert.equal(queue.isFull(), false, 'empty');
    assert.ok(offer(queue, 25));
    assert.equal(offer(queue, 1), false, 'over capacity: full again');
  });

  it('with size 1 entries (sizer requests), admits and refuses exactly as a plain capacity check', async () => {
    const queue = new BoundedQueue<{ size: number }>(3);
    const admitted: boolean[] = [];
    const script = ['offer', 'offer', 'offer', 'offer', 'take', 'offer', 'offer', 'take', 'take', 'offer', 'offer', 'offer'];
    for (const step of script) {
      if (step === 'take') await queue.take();
      else {
        const roomBefore = queue.size() < queue.capacity;
        admitted.push(offer(queue, 1));
        assert.equal(admitted.at(-1), roomBefore, `admitted iff there was room (step ${admitted.length})`);
        assert.equal(queue.isFull(), queue.size() === queue.capacity && !roomBefore);
      }
    }
    assert.deepEqual(admitted, [true, true, true, false, true, false, true, true, false]);
  });

  it('leaves blocking offers in line as before: the refused one is admitted first once it fits', async () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    assert.ok(offer(queue, 8));
    const big = queue.reserve(4);
    let small = false;
    const smallOffer = queue.reserve(1).then((admitted) => (small = admitted));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(small, false, 'the small offer waits behind the big one');
    await queue.take();
    assert.equal(await big, true);
    assert.equal(await smallOffer, true);
    assert.equal(queue.size(), 5);
  });
});
