import assert from 'node:assert/strict';
import { runFixture } from './helpers/child';
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

  it('SIGTERM flushes, then the process dies of SIGTERM as it would have without the bridge', async () => {
    let signalled = false;
    const result = await runFixture(
      'log-then-exit',
      { ENDPOINT: `http://${collector.grpc}`, COUNT: String(COUNT), MODE: 'sigterm' },
      (stdout, kill) => {
        if (!signalled && stdout.includes('ready')) {
          signalled = true;
          kill('SIGTERM');
        }
      },
    );
    assert.equal(result.signal, 'SIGTERM', result.stderr);
    await assertAllDelivered();
  });

  it('SIGTERM with the app listening too: the bridge flushes and leaves exiting to the app', async () => {
    let signalled = false;
    const result = await runFixture(
      'log-then-exit',
      { ENDPOINT: `http://${collector.grpc}`, COUNT: String(COUNT), MODE: 'sigterm-own-handler' },
      (stdout, kill) => {
        if (!signalled && stdout.includes('ready')) {
          signalled = true;
          kill('SIGTERM');
        }
      },
    );
    assert.equal(result.code, 3, result.stderr);
    await assertAllDelivered();
  });
});
