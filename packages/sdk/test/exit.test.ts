import assert from 'node:assert/strict';
import { runFixture, type ChildResult } from './helpers/child';
import { startTestCollector, type TestCollector } from './helpers/collector';

const COUNT = 500;

describe('no records lost when the app exits', () => {
  let collector: TestCollector;
  beforeEach(async () => {
    collector = await startTestCollector();
  });
  afterEach(() => collector.stop());

  async function assertAllDelivered(): Promise<void> {
    const records = await collector.waitForRecords(COUNT);
    const indexes = new Set(records.map((r) => r.attributes?.i));
    assert.equal(records.length, COUNT);
    assert.equal(indexes.size, COUNT, 'every record once');
  }

  for (const protocol of ['grpc', 'http/protobuf']) {
    it(`a process that logs and then ends naturally delivers every record (${protocol})`, async () => {
      const endpoint = `http://${protocol === 'grpc' ? collector.grpc : collector.http}`;
      const result = await runFixture('log-then-exit', { ENDPOINT: endpoint, PROTOCOL: protocol, COUNT: String(COUNT), MODE: 'natural' });
      assert.equal(result.code, 0, result.stderr);
      await assertAllDelivered();
    });
  }

  it('a process logging through the worker-thread transport that ends naturally delivers every record', async () => {
    const result = await runFixture('log-then-exit', { ENDPOINT: `http://${collector.grpc}`, COUNT: String(COUNT), ADAPTER: 'worker' });
    assert.equal(result.code, 0, result.stderr);
    await assertAllDelivered();
  });

  for (const [mode, code] of [
    ['exit', 0],
    ['throw', 1],
  ] as const) {
    it(`worker-thread transport: ${mode === 'exit' ? 'process.exit()' : 'an uncaught exception'} right after logging still delivers every record (pino ends the transport on exit)`, async () => {
      const result = await runFixture('log-then-exit', {
        ENDPOINT: `http://${collector.grpc}`,
        COUNT: String(COUNT),
        ADAPTER: 'worker',
        MODE: mode,
      });
      assert.equal(result.code, code, result.stderr);
      await assertAllDelivered();
    });
  }

  it('winston with handleExceptions: the uncaught exception is delivered before winston exits the process', async () => {
    const result = await runFixture('winston-uncaught', { ENDPOINT: `http://${collector.grpc}` });
    assert.equal(result.code, 1, result.stderr);
    const [record] = await collector.waitForRecords(1);
    assert.match(String(record?.body), /unhandled in the app/);
    assert.equal(record?.attributes?.['exception.type'], 'RangeError');
  });

  /** Runs the fixture in a sigterm mode and sends SIGTERM once it has logged everything. */
  function killedBySigterm(env: Record<string, string>): Promise<ChildResult & { listeners: number }> {
    let signalled = false;
    let listeners = -1;
    return runFixture('log-then-exit', { ENDPOINT: `http://${collector.grpc}`, COUNT: String(COUNT), ...env }, (stdout, kill) => {
      const ready = /ready sigterm-listeners=(\d+)/.exec(stdout);
      if (!signalled && ready) {
        signalled = true;
        listeners = Number(ready[1]);
        kill('SIGTERM');
      }
    }).then((result) => ({ ...result, listeners }));
  }

  it('by default the SDK adds no signal handler: SIGTERM kills the app at once, as without the SDK (a shell reports 143)', async () => {
    const result = await killedBySigterm({ MODE: 'sigterm' });
    assert.equal(result.listeners, 0, 'the SDK added a SIGTERM listener');
    assert.equal(result.signal, 'SIGTERM', result.stderr);
    // Nothing was flushed: the records were still buffered (scheduledDelayMillis is a minute).
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await collector.records()).length, 0);
  });

  it('handleSignals: true flushes the buffered records on SIGTERM, then the process dies of SIGTERM', async () => {
    const result = await killedBySigterm({ MODE: 'sigterm', HANDLE_SIGNALS: '1' });
    assert.equal(result.listeners, 1);
    assert.equal(result.signal, 'SIGTERM', result.stderr);
    await assertAllDelivered();
  });

  it('handleSignals: true with the app listening too: the bridge flushes and leaves exiting to the app', async () => {
    const result = await killedBySigterm({ MODE: 'sigterm-own-handler', HANDLE_SIGNALS: '1' });
    assert.equal(result.code, 3, result.stderr);
    await assertAllDelivered();
  });
});
