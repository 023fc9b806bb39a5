/**
 * examples/llm-proxy/proxy.js against configs/llm-proxy.yaml with Loki on (the Loki test server):
 * every record reaches the JSONL file and Loki, the README's "llm-proxy → Loki" queries parse,
 * and its session and provider-error queries find that session's lines.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadLogqlParser, logqlProblems } from './deploy-checks/grafana';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitFor } from './support/collector';
import { LLM_PROXY_PROFILE, llmProxyLocalConfig, logqlLines } from './support/llm-proxy';
import { startLokiTestServer } from './support/loki/server';
import { readmeQueries } from './support/readme';

const EXAMPLE = resolve(__dirname, '../../examples/llm-proxy/proxy.js');
const SESSION = 's-example';
const CALLS = 4;
/** session_start, a request and a response per call, a fork. */
const RECORDS = 2 + 2 * CALLS;

describe('examples/llm-proxy through configs/llm-proxy.yaml', function () {
  this.timeout(60_000);

  it('logs the four log types; the README queries parse, and find the session and its provider errors in Loki', async () => {
    const server = await startLokiTestServer({ authEnabled: false });
    const dir = await tempDir('sluice-llm-proxy-example-');
    const { collector } = await startTestCollector('', {
      configFiles: [LLM_PROXY_PROFILE, await llmProxyLocalConfig(dir.dir)],
      env: { LLM_PROXY_LOKI_ENABLED: 'true', LLM_PROXY_LOKI_URL: server.pushUrl, LLM_PROXY_LOKI_BATCH_WAIT: '100ms' },
    });
    try {
      const url = `http://${collector.endpoints['otlp/http']}/v1/logs`;
      const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE, '--session', SESSION, '--calls', String(CALLS)], {
        env: { ...process.env, LLM_PROXY_OTLP_URL: url },
      });
      assert.equal(stdout, `session ${SESSION}: ${RECORDS} log records sent to ${url}\n`);
      await waitFor(() => (server.entries().length === RECORDS ? true : undefined), 20_000, `${RECORDS} entries in Loki`);
      assert.equal(flatten(await readJsonlLogs(join(dir.dir, 'llm-proxy.jsonl'))).length, RECORDS, 'the JSONL copy');
      assert.deepEqual(new Set(server.entries().map((e) => e.labels.log_type)), new Set(['session_start', 'request', 'response', 'fork']));
      for (const entry of server.entries()) {
        assert.deepEqual(Object.keys(entry.labels).sort(), ['app', 'environment', 'log_type', 'machine', 'provider']);
        assert.match(entry.labels.machine!, /^[^@\s]+@[^@\s]+$/, 'machine is user@host');
      }

      const queries = readmeQueries('## llm-proxy → Loki');
      assert.equal(queries.length, 4, queries.join('\n'));
      const parser = await loadLogqlParser();
      for (const query of queries) assert.deepEqual(logqlProblems(parser, query), [], query);

      const [session, request, providerErrors] = queries.map((q) => q.replaceAll('s-42', SESSION));
      const sessionLines = await logqlLines(server.url, session!);
      assert.equal(sessionLines.length, RECORDS, `every line of the session: ${session}`);
      for (const line of sessionLines) {
        assert.equal((JSON.parse(line) as { attributes: { session_id: string } }).attributes.session_id, SESSION);
      }
      assert.equal((await logqlLines(server.url, request!)).length, 2, `the request and its response: ${request}`);
      // Every third call fails: with 4 calls, one.
      const errors = await logqlLines(server.url, providerErrors!);
      assert.equal(errors.length, 1, providerErrors);
      const error = JSON.parse(errors[0]!) as { attributes: { status_code: unknown; latency_ms: unknown } };
      assert.equal(Number(error.attributes.status_code), 529);
      assert.ok(Number(error.attributes.latency_ms) > 0, 'latency_ms is in the line for `unwrap attributes_latency_ms`');
    } finally {
      await collector.shutdown();
      await server.close();
      await dir.cleanup();
    }
  });
});
