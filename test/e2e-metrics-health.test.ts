import assert from 'node:assert/strict';
import { join } from 'node:path';
import { metricValue, startTestCollector, tempDir } from './support/collector';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

describe('self-telemetry: /metrics and health_check', function () {
  it('counts accepted and sent records and answers health checks', async () => {
    const tmp = await tempDir();
    const { collector } = await startTestCollector(
      otlpPipelineConfig(
        { jsonl: { path: join(tmp.dir, 'out.jsonl') } },
        { extensions: { health_check: { endpoint: '127.0.0.1:0' } }, prometheus: true },
      ),
    );
    try {
      for (const count of [10, 15, 5]) {
        const bodies = Array.from({ length: count }, (_, i) => `m${i}`);
        const res = await postOtlpHttp(collector.endpoints['otlp/http']!, logsWithBodies(bodies));
        assert.equal(res.status, 200);
      }
      const scrape = await fetch(`http://${collector.endpoints.metrics}/metrics`);
      assert.equal(scrape.status, 200);
      const text = await scrape.text();
      assert.equal(metricValue(text, 'otelcol_receiver_accepted_log_records_total', { receiver: 'otlp', transport: 'http' }), 30);
      assert.equal(metricValue(text, 'otelcol_exporter_sent_log_records_total', { exporter: 'jsonl' }), 30);
      assert.ok((metricValue(text, 'otelcol_process_cpu_seconds_total') ?? 0) > 0, 'process CPU is exported');
      assert.ok((metricValue(text, 'otelcol_process_resident_memory_bytes') ?? 0) > 0, 'process memory is exported');

      const health = await fetch(`http://${collector.endpoints.health_check}/`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'Server available');
      const exporterHealth = await fetch(`http://${collector.endpoints.health_check}/health/jsonl`);
      assert.equal(exporterHealth.status, 200);
      const body = (await exporterHealth.json()) as { exporter: string; entries_sent?: number };
      assert.equal(body.exporter, 'jsonl');
      assert.equal(body.entries_sent, 30);
    } finally {
      await collector.shutdown();
      await tmp.cleanup();
    }
  });
});
