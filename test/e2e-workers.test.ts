/**
 * `--workers 2` / `service.workers: 2`: two pipeline processes behind one set of ports. Clients
 * are official OTLP exporters, each with its own connection, so round-robin scheduling has
 * connections to spread.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { metricValue, readJsonlLogs, flatten, tempDir, waitFor } from './support/collector';
import { exportOnce } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';
import { startLokiTestServer } from './support/loki/server';

const CLIENTS = 16;
const RECORDS_PER_CLIENT = 10;
const TOTAL = CLIENTS * RECORDS_PER_CLIENT;

/** Sends TOTAL records, `record <n>`, through CLIENTS exporters at once; each record is one request. */
async function sendThroughClients(httpAddress: string): Promise<void> {
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const exporter = new OTLPLogExporter({ url: `http://${httpAddress}/v1/logs` });
      for (let i = 0; i < RECORDS_PER_CLIENT; i++) {
        const result = await exportOnce(exporter, `record ${client * RECORDS_PER_CLIENT + i}`);
        assert.equal(result.code, ExportResultCode.SUCCESS, `client ${client} record ${i}: ${result.error?.message}`);
      }
      await exporter.shutdown();
    }),
  );
}

/** Asserts `lines` hold `record 0` .. `record TOTAL-1`, each once. */
function assertEachOnce(lines: readonly string[], output = ''): void {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  const missing = Array.from({ length: TOTAL }, (_, n) => `record ${n}`).filter((line) => !counts.has(line));
  const duplicated = [...counts].filter(([, count]) => count > 1).map(([line]) => line);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} records missing\n${output}`);
  assert.deepEqual(duplicated.slice(0, 10), [], `${duplicated.length} records delivered more than once`);
  assert.equal(lines.length, TOTAL);
}

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath, e.name));
}

describe('several workers (--workers 2)', function () {
  this.timeout(120_000);
  const children: ChildCollector[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
  });

  it('shares the ports, writes every record once (a JSONL file per worker), and sums metrics and health', async () => {
    const tmp = await tempDir();
    try {
      const configFile = join(tmp.dir, 'config.yaml');
      await writeFile(
        configFile,
        otlpPipelineConfig(
          { jsonl: { path: join(tmp.dir, 'out', 'logs.jsonl') } },
          { prometheus: true, extensions: { health_check: { endpoint: '127.0.0.1:0' } } },
        ),
      );
      const collector = await spawnCollector([configFile], {}, ['--workers', '2']);
      children.push(collector);
      for (const label of ['otlp/http', 'metrics', 'health_check']) {
        assert.match(collector.endpoints[label] ?? '', /^127\.0\.0\.1:[1-9]\d*$/, `${label} in the banner with its bound port`);
      }
      await sendThroughClients(collector.endpoints['otlp/http']!);

      const files = (await filesUnder(join(tmp.dir, 'out'), '.jsonl')).sort();
      assert.deepEqual(
        files.map((file) => file.slice(join(tmp.dir, 'out').length + 1)),
        ['logs.worker-0.jsonl', 'logs.worker-1.jsonl'],
      );
      const lines = (await Promise.all(files.map(readJsonlLogs))).flatMap((batches) =>
        flatten(batches).map((r) => r.record.body as string),
      );
      assertEachOnce(lines);

      const metrics = await (await fetch(`http://${collector.endpoints.metrics}/metrics`)).text();
      assert.equal(metricValue(metrics, 'otelcol_receiver_accepted_log_records_total', { transport: 'http' }), TOTAL, metrics);
      assert.equal(metricValue(metrics, 'otelcol_exporter_sent_log_records_total', { exporter: 'jsonl' }), TOTAL);
      const perWorker = [0, 1].map(
        (worker) => metricValue(metrics, 'sluice_worker_accepted_log_records_total', { worker: String(worker) }) ?? 0,
      );
      assert.ok(
        perWorker.every((n) => n > 0),
        `both workers accepted connections: ${perWorker.join(', ')}`,
      );
      assert.equal(perWorker[0]! + perWorker[1]!, TOTAL);

      const ready = await fetch(`http://${collector.endpoints.health_check}/`);
      assert.equal(ready.status, 200);
      const health = (await (await fetch(`http://${collector.endpoints.health_check}/health/jsonl`)).json()) as Record<string, unknown>;
      assert.equal(health.status, 'ok');
      assert.equal(health.entries_sent, TOTAL, 'the workers’ counters summed');

      assert.equal(await collector.stop(), 0, collector.output());
    } finally {
      await tmp.cleanup();
    }
  });

  it('restarts a worker that dies, and logs it', async () => {
    const tmp = await tempDir();
    try {
      const configFile = join(tmp.dir, 'config.yaml');
      await writeFile(
        configFile,
        otlpPipelineConfig({ jsonl: { path: join(tmp.dir, 'logs.jsonl') } }, { extensions: { health_check: { endpoint: '127.0.0.1:0' } } }),
      );
      const collector = await spawnCollector([configFile], {}, ['--workers', '2']);
      children.push(collector);
      const workers = (await readFile(`/proc/${collector.child.pid}/task/${collector.child.pid}/children`, 'utf8')).trim().split(' ');
      assert.equal(workers.length, 2, `two worker processes: ${workers.join(', ')}`);
      process.kill(Number(workers[0]), 'SIGKILL');
      await waitFor(() => (/a worker exited unexpectedly; restarting it.*"signal":"SIGKILL"/.test(collector.stderr()) ? true : undefined));
      await waitFor(() => (/worker restarted/.test(collector.stderr()) ? true : undefined), 15_000, 'the restart');
      assert.equal((await fetch(`http://${collector.endpoints.health_check}/`)).status, 200, 'ready again');
      assert.equal(await collector.stop(), 0, collector.output());
    } finally {
      await tmp.cleanup();
    }
  });

  it('drains every worker on SIGTERM (service.workers: 2): what was accepted reaches a slow Loki, exit 0', async () => {
    const tmp = await tempDir();
    const loki = await startLokiTestServer();
    try {
      const configFile = join(tmp.dir, 'config.yaml');
      await writeFile(
        configFile,
        otlpPipelineConfig(
          { loki: { endpoint: loki.pushUrl, tenant_id: 'team-a', format: 'raw' } },
          { prometheus: true, service: { workers: 2 } },
        ),
      );
      await loki.fail('slow', { delayMs: 1500 });
      const collector = await spawnCollector([configFile]);
      children.push(collector);
      await sendThroughClients(collector.endpoints['otlp/http']!);
      const metrics = await (await fetch(`http://${collector.endpoints.metrics}/metrics`)).text();
      const perWorker = [0, 1].map(
        (worker) => metricValue(metrics, 'sluice_worker_accepted_log_records_total', { worker: String(worker) }) ?? 0,
      );
      assert.ok(
        perWorker.every((n) => n > 0),
        `both workers hold records: ${perWorker.join(', ')}`,
      );
      assert.ok(loki.acceptedEntries < TOTAL, 'records are still queued when the signal comes');

      assert.equal(await collector.stop(), 0, collector.output());
      assertEachOnce(
        loki.entries().map((entry) => entry.line),
        collector.output(),
      );
      assert.match(collector.stderr(), /sluice: stopped/);
    } finally {
      await loki.close();
      await tmp.cleanup();
    }
  });

  it('resumes the persistent queues of 2 workers after a restart with 1, delivering every record once', async () => {
    const tmp = await tempDir();
    const loki = await startLokiTestServer();
    try {
      const queueDir = join(tmp.dir, 'queue');
      const configFile = join(tmp.dir, 'config.yaml');
      await writeFile(
        configFile,
        otlpPipelineConfig(
          {
            loki: {
              endpoint: loki.pushUrl,
              tenant_id: 'team-a',
              format: 'raw',
              sending_queue: { storage: 'file_storage' },
              retry_on_failure: { initial_interval: '20ms', max_interval: '200ms', max_elapsed_time: 0 },
            },
          },
          { extensions: { file_storage: { directory: queueDir } } },
        ),
      );
      await loki.fail('down');
      const two = await spawnCollector([configFile], {}, ['--workers', '2']);
      children.push(two);
      await sendThroughClients(two.endpoints['otlp/http']!);
      assert.equal(await two.stop(), 0, two.output());
      const segments = await filesUnder(queueDir, '.seg');
      for (const worker of ['worker-0', 'worker-1']) {
        assert.ok(
          segments.some((file) => file.includes(`/${worker}/`)),
          `${worker} left a backlog on disk: ${segments.join(', ')}`,
        );
      }

      await loki.recover();
      const one = await spawnCollector([configFile]);
      children.push(one);
      await waitFor(() => (loki.acceptedEntries >= TOTAL ? true : undefined), 30_000, `${TOTAL} entries in Loki`);
      assert.equal(await one.stop(), 0, one.output());
      assertEachOnce(loki.entries().map((entry) => entry.line));
      assert.deepEqual(await filesUnder(queueDir, '.seg'), [], 'no segment with a live record is left');
      assert.deepEqual(
        (await readdir(queueDir)).filter((name) => name.startsWith('worker-')),
        [],
        'the workers’ directories were merged',
      );
    } finally {
      await loki.close();
      await tmp.cleanup();
    }
  });
});
