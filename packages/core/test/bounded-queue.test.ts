import assert from 'node:assert/strict';
import { BoundedQueue } from '../src/exporterhelper/bounded-queue';
import { Deadline } from '../src/exporterhelper/deadline';

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

describe('bounded queue: waits under one deadline', () => {
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('hands over entries that come before the deadline, then ends the next wait when it passes', async () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    const deadline = new Deadline(Date.now() + 100);
    const first = queue.take(deadline);
    offer(queue, 1);
    assert.deepEqual(await first, { size: 1 }, 'an entry pushed while waiting');
    const second = queue.take(deadline);
    offer(queue, 2);
    assert.deepEqual(await second, { size: 2 }, 'the same deadline serves a second wait');
    const started = Date.now();
    assert.equal(await queue.take(deadline), undefined, 'the third wait ends with the deadline');
    assert.ok(Date.now() - started >= 50, 'it waited for the deadline, not less');
    assert.equal(queue.size(), 0);
    // The ended wait left the line: the next entry waits for the next taker.
    offer(queue, 3);
    assert.equal(queue.length(), 1);
    assert.deepEqual(await queue.take(), { size: 3 });
    deadline.clear();
  });

  it('answers at once past the deadline, with an entry when there is one', async () => {
    const queue = new BoundedQueue<{ size: number }>(10);
    const deadline = new Deadline(Date.now() - 1);
    assert.equal(deadline.passed(), true);
    assert.equal(await queue.take(deadline), undefined);
    offer(queue, 4);
    assert.deepEqual(await queue.take(deadline), { size: 4 });
  });

  it('ends nothing once cleared', async () => {
    let ended = 0;
    const deadline = new Deadline(Date.now() + 20);
    deadline.onPass(() => ended++);
    deadline.clear();
    await tick(60);
    assert.equal(ended, 0);
    const again = new Deadline(Date.now() + 20);
    again.onPass(() => ended++);
    again.onPass(() => (ended += 10)); // a later wait replaces the earlier one's end
    await tick(60);
    assert.equal(ended, 10);
  });
});
