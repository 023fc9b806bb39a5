import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { runFixture } from './helpers/child';

/** A loopback port nothing listens on: bind port 0, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('collector down: the app is not slowed and memory stays bounded', () => {
  it('100,000 records in 1,000-record ticks keep event-loop delay p99 < 20 ms; the queue stays within its bound', async () => {
    const port = await closedPort();
    const result = await runFixture('flood', { ENDPOINT: `http://127.0.0.1:${port}` });
    assert.equal(result.code, 0, result.stderr);
    const figures = JSON.parse(result.stdout.trim().split('\n').pop()!);
    console.log(`      event-loop delay p99 ${figures.p99Ms.toFixed(2)} ms, max ${figures.maxMs.toFixed(2)} ms; ` +
      `max queued ${figures.maxQueued}/${figures.maxQueueSize}, dropped ${figures.dropped}, failed ${figures.failed}`);
    assert.ok(figures.p99Ms < 20, `event-loop delay p99 was ${figures.p99Ms} ms`);
    assert.equal(figures.emitted, 100_000);
    assert.ok(figures.maxQueued <= figures.maxQueueSize, `queue reached ${figures.maxQueued}`);
    assert.ok(figures.dropped > 0, 'with the collector down, the overflow is dropped and counted');
    // After the first refused export the rest are held back, not serialised to fail one by one.
    assert.ok(figures.failed < figures.maxQueueSize, `${figures.failed} records went through failed exports`);
    assert.match(result.stderr, /\[@sluice\/sdk\] log queue full/);
    assert.equal(result.stderr.match(/log queue full/g)!.length, 1, 'the drop warning is rate-limited');
  });
});
