import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { spawnCollector, type ChildCollector } from '../support/child-collector';
import { waitFor } from '../support/collector';
import { metricNamesFromExposition } from './promql';
import { repoPath } from './repo';

const TOKEN = 'deploy-test-token';

/**
 * Runs configs/docker.yaml as the image would, with what only a container can have swapped for a
 * test's: every endpoint on 127.0.0.1 port 0, data under `dir`, Loki at a closed local port.
 */
export async function startDockerConfig(dir: string): Promise<ChildCollector> {
  const override = join(dir, 'test-override.yaml');
  await writeFile(
    override,
    `extensions:
  health_check: { endpoint: "127.0.0.1:0" }
  file_storage: { directory: ${JSON.stringify(join(dir, 'queue'))} }
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0" }
exporters:
  loki: { endpoint: "http://127.0.0.1:9/loki/api/v1/push" }
  jsonl: { path: ${JSON.stringify(join(dir, 'logs.jsonl'))} }
  prometheus: { endpoint: "127.0.0.1:0" }
service:
  telemetry:
    metrics:
      readers:
        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } }
`,
  );
  return spawnCollector([repoPath('configs', 'docker.yaml'), override], { SLUICE_TOKEN: TOKEN });
}

/**
 * Every metric name a collector running configs/docker.yaml serves: its own telemetry, and the
 * metrics it derives from logs (sent first, as the demo logs them: an error, a duration, memory).
 */
export async function dockerConfigMetricNames(): Promise<Set<string>> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-metric-names-'));
  const collector = await startDockerConfig(dir);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({
          url: `http://${collector.endpoints['otlp/http']}/v1/logs`,
          headers: { Authorization: `Bearer ${TOKEN}` },
        }),
      }),
    ],
  });
  try {
    const { metrics, prometheus } = collector.endpoints;
    assert.ok(metrics && prometheus, `no metrics or prometheus address in:\n${collector.output()}`);
    const logger = provider.getLogger('checkout');
    const attributes = { 'http.route': '/api/cart', duration_ms: 42, memory_bytes: 1_000_000 };
    logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'GET /api/cart failed', attributes });
    await provider.forceFlush();
    const derived = await waitFor(
      async () => {
        const text = await (await fetch(`http://${prometheus}/metrics`)).text();
        return text.includes('# TYPE') ? text : undefined;
      },
      10_000,
      'metrics derived from logs',
    );
    const self = await fetch(`http://${metrics}/metrics`);
    assert.equal(self.status, 200);
    return new Set([...metricNamesFromExposition(await self.text()), ...metricNamesFromExposition(derived)]);
  } finally {
    await provider.shutdown();
    // Killed, not stopped: the record waits in the queue for a Loki that never answers, and a
    // stop would drain it for service.shutdown_timeout.
    await collector.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
