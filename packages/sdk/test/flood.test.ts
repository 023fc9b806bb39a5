import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { runFixture } from './helpers/child';

/** The last line fixtures/flood.ts prints: its event-loop figures and the bridge's stats. */
interface FloodFigures {
  p99Ms: number;
  maxMs: number;
  maxQueued: number;
  maxQueueSize: number;
  emitted: number;
  dropped: number;
  failed: number;
}

/** A loopback port nothing listens on: bind port 0, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('collector down: the app is not slowed and memory stays bounded', () => {
  it('100,000 records in 1,000-record ticks: event-loop delay stays close to that of logging without the SDK; the queue stays within its bound', async function () {
    this.timeout(60_000);
    const port = await closedPort();
    const run = async (env: Record<string, string>) => {
      const result = await runFixture('flood', { ENDPOINT: `http://127.0.0.1:${port}`, ...env });
      assert.equal(result.code, 0, result.stderr);
      return { result, figures: JSON.parse(result.stdout.trim().split('\n').pop()!) as FloodFigures };
    };
    // The same load logged to a stream that drops it: what the app's own logging costs on this
    // machine right now. Taken before and after, and the lower kept, so a burst of load from
    // elsewhere during one run does not make the comparison pass or fail by itself.
    const before = await run({ BASELINE: '1' });
    const { result, figures } = await run({});
    const after = await run({ BASELINE: '1' });
    const baselineP99 = Math.min(before.figures.p99Ms, after.figures.p99Ms);
    console.log(
      `      event-loop delay p99 ${figures.p99Ms.toFixed(2)} ms (without the SDK ${baselineP99.toFixed(2)} ms), max ${figures.maxMs.toFixed(2)} ms; ` +
        `max queued ${figures.maxQueued}/${figures.maxQueueSize}, dropped ${figures.dropped}, failed ${figures.failed}`,
    );
    // The SDK's work per record is of the order of pino's own: a blocked loop (a synchronous
    // export, serialising the whole queue at once) would be many times the baseline.
    assert.ok(
      figures.p99Ms <= 4 * baselineP99 + 5,
      `event-loop delay p99 was ${figures.p99Ms} ms with the SDK, ${baselineP99} ms without it`,
    );
    assert.equal(figures.emitted, 100_000);
    assert.ok(figures.maxQueued <= figures.maxQueueSize, `queue reached ${figures.maxQueued}`);
    assert.ok(figures.dropped > 0, 'with the collector down, the overflow is dropped and counted');
    // After the first refused export the rest are held back, not serialised to fail one by one.
    assert.ok(figures.failed < figures.maxQueueSize, `${figures.failed} records went through failed exports`);
    assert.match(result.stderr, /\[@sluice\/sdk\] log queue full/);
    assert.equal(result.stderr.match(/log queue full/g)!.length, 1, 'the drop warning is rate-limited');
  });
});
