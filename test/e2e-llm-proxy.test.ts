/**
 * configs/llm-proxy.yaml as the llm-proxy team runs it: only LLM_PROXY_LOKI_* variables set, the
 * Loki test server as Loki, OTLP/HTTP requests as the proxy sends them. A second config file
 * moves the listeners to free ports and the JSONL file to a temp dir (maps merge, later wins).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ExporterHealth } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitFor } from './support/collector';
import { LLM_PROXY_PROFILE, llmProxyLocalConfig, logqlLines, proxyLogs } from './support/llm-proxy';
import { startLokiTestServer, type LokiTestServer } from './support/loki/server';
import { postOtlpHttp } from './support/otlp';

describe('configs/llm-proxy.yaml end to end', function () {
  this.timeout(60_000);
  let server: LokiTestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let collector: Awaited<ReturnType<typeof startTestCollector>>['collector'] | undefined;

  beforeEach(async () => {
    server = await startLokiTestServer({ authEnabled: false });
    dir = await tempDir('sluice-llm-proxy-');
  });
  afterEach(async () => {
    await collector?.shutdown();
    collector = undefined;
    await server.close();
    await dir.cleanup();
  });

  /** Starts the profile with these LLM_PROXY_LOKI_* variables (URL defaults to the test server). */
  async function start(env: Record<string, string>) {
    const local = await llmProxyLocalConfig(dir.dir);
    const started = await startTestCollector('', {
      configFiles: [LLM_PROXY_PROFILE, local],
      env: { LLM_PROXY_LOKI_URL: server.pushUrl, ...env },
    });
    collector = started.collector;
    return started;
  }

  async function send(logs: LogsData): Promise<void> {
    const res = await postOtlpHttp(collector!.endpoints['otlp/http']!, logs);
    assert.equal(res.status, 200, `the proxy's request is answered 200 (${res.text})`);
  }

  async function lokiHealth(): Promise<ExporterHealth> {
    const res = await fetch(`http://${collector!.endpoints.health_check}/health/loki`);
    return (await res.json()) as ExporterHealth;
  }

  it('pushes gzip JSON in batches of BATCH_SIZE, with exactly the five labels, and one LogQL query finds a session', async () => {
    await start({
      LLM_PROXY_LOKI_ENABLED: 'true',
      LLM_PROXY_LOKI_BATCH_SIZE: '25',
      LLM_PROXY_LOKI_BATCH_WAIT: '1h',
      LLM_PROXY_LOKI_ENVIRONMENT: 'staging',
    });
    const types = ['session_start', 'request', 'response', 'fork'] as const;
    for (let i = 0; i < 50; i++) {
      const session = `s-${i % 2}`;
      await send(proxyLogs({ logType: types[i % 4]!, provider: i % 2 ? 'anthropic' : 'openai', session, request: `r-${i}` }));
    }
    await waitFor(() => (server.entries().length === 50 ? true : undefined), 20_000, '50 entries in Loki');
    assert.equal(server.requests, 2, '50 one-record requests → 2 pushes of 25 (no flush timeout can fire in 1h)');
    for (const push of server.requestLog) {
      assert.deepEqual([push.status, push.contentType, push.contentEncoding], [204, 'application/json', 'gzip']);
    }
    const labelSets = new Set(server.entries().map((e) => JSON.stringify(Object.keys(e.labels).sort())));
    assert.deepEqual([...labelSets], [JSON.stringify(['app', 'environment', 'log_type', 'machine', 'provider'])]);
    const first = server.entries()[0]!;
    assert.deepEqual(first.labels, {
      app: 'llm-proxy',
      environment: 'staging',
      log_type: 'session_start',
      machine: 'ana@box',
      provider: 'openai',
    });

    const session = await logqlLines(server.url, '{app="llm-proxy"} | json | session_id="s-0"');
    assert.equal(session.length, 25, 'every line of session s-0');
    for (const line of session) {
      const parsed = JSON.parse(line) as { attributes: { session_id: string; request_id: string } };
      assert.equal(parsed.attributes.session_id, 's-0', 'session_id stays in the line');
      assert.match(parsed.attributes.request_id, /^r-\d+$/, 'request_id stays in the line');
    }
    assert.equal(
      (await logqlLines(server.url, '{app="llm-proxy", provider="anthropic"} | request_id="r-1"')).length,
      1,
      'request_id is structured metadata',
    );
    assert.equal(flatten(await readJsonlLogs(join(dir.dir, 'llm-proxy.jsonl'))).length, 50, 'the JSONL copy has every record');
  });

  it('pushes a partial batch after BATCH_WAIT, plain JSON with USE_GZIP=false, and drains the rest on shutdown', async () => {
    await start({ LLM_PROXY_LOKI_ENABLED: 'true', LLM_PROXY_LOKI_BATCH_WAIT: '200ms', LLM_PROXY_LOKI_USE_GZIP: 'false' });
    await send(proxyLogs({ logType: 'request', provider: 'openai', session: 's', request: 'r-1' }));
    await waitFor(() => (server.entries().length === 1 ? true : undefined), 10_000, 'the record after BATCH_WAIT, far below BATCH_SIZE');
    assert.deepEqual([server.requestLog[0]!.contentType, server.requestLog[0]!.contentEncoding], ['application/json', undefined]);

    await collector!.shutdown();
    collector = undefined;
    const again = await start({ LLM_PROXY_LOKI_ENABLED: 'true', LLM_PROXY_LOKI_BATCH_WAIT: '1h' });
    await send(proxyLogs({ logType: 'response', provider: 'openai', session: 's', request: 'r-2' }, 3));
    assert.equal(server.entries().length, 1, 'a batch waiting for BATCH_WAIT=1h is not pushed yet');
    await again.collector.shutdown();
    collector = undefined;
    assert.equal(server.entries().length, 4, 'shutdown pushed the waiting batch');
  });

  it('answers 200 and writes JSONL while Loki is down; refusals of the full queue show as dropped in /health/loki', async () => {
    await start({ LLM_PROXY_LOKI_ENABLED: 'true' });
    await server.fail('down');
    for (let i = 0; i < 16; i++) await send(proxyLogs({ logType: 'request', provider: 'openai', session: 's', request: `r-${i}` }, 1000));
    assert.equal(flatten(await readJsonlLogs(join(dir.dir, 'llm-proxy.jsonl'))).length, 16_000);
    const health = await lokiHealth();
    // 10,000 wait in the queue and the batch being retried has left it: the rest was refused.
    assert.ok(health.entries_refused >= 1000, `refused: ${health.entries_refused}`);
    assert.equal(health.entries_refused % 1000, 0, 'whole requests are refused');
    assert.equal(health.entries_dropped, health.entries_refused, 'an optional exporter loses what it refuses: counted as dropped');
    assert.equal(health.entries_sent, 0);
    assert.match(health.last_error ?? '', /ECONNREFUSED|queue of exporter loki is full/, 'the latest of the two errors');
    assert.ok(health.last_error_time && !Number.isNaN(Date.parse(health.last_error_time)));
    assert.equal(health.status, 'failing', 'its sends are failing (ECONNREFUSED)');
    await server.recover(); // so the shutdown drain does not wait out its 30 s
  });

  it('gives a batch up after RETRY_MAX retries and counts it in /health/loki', async () => {
    await start({ LLM_PROXY_LOKI_ENABLED: 'true', LLM_PROXY_LOKI_BATCH_WAIT: '50ms', LLM_PROXY_LOKI_RETRY_MAX: '2' });
    await server.fail('500');
    await send(proxyLogs({ logType: 'request', provider: 'openai', session: 's', request: 'r-1' }, 3));
    const health = await waitFor(async () => {
      const h = await lokiHealth();
      return h.entries_failed === 3 ? h : undefined;
    }, 20_000);
    assert.equal(server.requests, 3, 'the first attempt and 2 retries');
    assert.match(health.last_error ?? '', /500/);
  });

  it('ENABLED unset (false) runs the same file with JSONL only: no Loki exporter, no Loki traffic', async () => {
    const { logger } = await start({});
    assert.deepEqual([...collector!.config.exporters.keys()], ['jsonl']);
    await send(proxyLogs({ logType: 'session_start', provider: 'openai', session: 's', request: 'r-1' }));
    assert.equal((await fetch(`http://${collector!.endpoints.health_check}/health/loki`)).status, 404);
    await collector!.shutdown();
    collector = undefined;
    assert.equal(server.requests, 0);
    assert.equal(flatten(await readJsonlLogs(join(dir.dir, 'llm-proxy.jsonl'))).length, 1);
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'warn' || l.level === 'error'),
      [],
    );
  });
});
