/**
 * The llm-proxy profile's drain on SIGTERM, with the real CLI as a child process: records queued
 * for Loki are pushed before the process exits 0; when `shutdown_timeout` is not enough (Loki
 * down), the CLI warns with the number of records lost and exits 3.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { flatten, readJsonlLogs, tempDir } from './support/collector';
import { LLM_PROXY_PROFILE, llmProxyLocalConfig, proxyLogs } from './support/llm-proxy';
import { startLokiTestServer, type LokiTestServer } from './support/loki/server';
import { postOtlpHttp } from './support/otlp';

describe('configs/llm-proxy.yaml: SIGTERM drains the Loki queue', function () {
  this.timeout(60_000);
  let server: LokiTestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let child: ChildCollector | undefined;

  beforeEach(async () => {
    server = await startLokiTestServer({ authEnabled: false });
    dir = await tempDir('sluice-llm-proxy-shutdown-');
  });
  afterEach(async () => {
    await child?.kill();
    child = undefined;
    await server.close();
    await dir.cleanup();
  });

  /** Starts the profile with Loki on and a batch that only shutdown can end (BATCH_WAIT 1h), then sends 3 requests of 10 records. */
  async function startAndSend(service: Record<string, unknown> = {}): Promise<ChildCollector> {
    const local = await llmProxyLocalConfig(dir.dir, service);
    child = await spawnCollector([LLM_PROXY_PROFILE, local], {
      LLM_PROXY_LOKI_ENABLED: 'true',
      LLM_PROXY_LOKI_URL: server.pushUrl,
      LLM_PROXY_LOKI_BATCH_WAIT: '1h',
    });
    for (let i = 0; i < 3; i++) {
      const res = await postOtlpHttp(
        child.endpoints['otlp/http']!,
        proxyLogs({ logType: 'request', provider: 'openai', session: 's', request: `r-${i}` }, 10),
      );
      assert.equal(res.status, 200, res.text);
    }
    return child;
  }

  it('pushes the records waiting for their batch before exiting 0', async () => {
    const collector = await startAndSend();
    assert.equal(server.requests, 0, 'nothing pushed before the signal: the batch waits for BATCH_WAIT=1h');
    const code = await collector.stop();
    assert.equal(code, 0, collector.output());
    assert.equal(server.entries().length, 30, 'every queued record pushed before exit');
    assert.match(collector.stderr(), /sluice: stopped/);
    assert.doesNotMatch(collector.stderr(), /warn/);
  });

  it('with Loki down and shutdown_timeout 1s: warns with the number of records lost and exits 3', async () => {
    await server.fail('down');
    const collector = await startAndSend({ shutdown_timeout: '1s' });
    const code = await collector.stop();
    const stderr = collector.stderr();
    assert.equal(code, 3, collector.output());
    assert.match(
      stderr,
      /sluice: warning: the drain did not finish within service\.shutdown_timeout \(1s\): 30 log records left in memory queues were lost\n/,
    );
    assert.match(stderr, /shutdown deadline reached: log records in the memory sending queue were lost.*"lost_records":30/);
    assert.equal(flatten(await readJsonlLogs(join(dir.dir, 'llm-proxy.jsonl'))).length, 30, 'the JSONL copy, the primary, has them all');
  });
});
