import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { getAttribute } from '@sluice/pdata';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitForRecords } from './support/collector';

/**
 * A real OTel exporter → receiver → batch → resource (upsert deployment.environment) →
 * attributes (delete a secret, hash an email) → filter (drop DEBUG) → jsonl.
 */
describe('processors end to end', function () {
  it('the file has exactly the expected records', async () => {
    const tmp = await tempDir();
    const path = join(tmp.dir, 'processed.jsonl');
    const { collector } = await startTestCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
processors:
  batch:
    timeout: 50ms
  resource:
    attributes:
      - { key: deployment.environment, value: staging, action: upsert }
  attributes:
    actions:
      - { key: api_token, action: delete }
      - { key: user.email, action: hash }
  filter:
    logs:
      log_record:
        - 'severity_text == "DEBUG"'
exporters:
  jsonl: { path: ${path} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch, resource, attributes, filter]
      exporters: [jsonl]
`);
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop', 'deployment.environment': 'dev' }),
      processors: [
        new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://${collector.endpoints['otlp/http']}/v1/logs` }) }),
      ],
    });
    try {
      const logger = provider.getLogger('shop');
      logger.emit({
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        body: 'login',
        attributes: { 'user.email': 'ann@example.com', api_token: 's3cr3t', step: 1 },
      });
      logger.emit({ severityNumber: SeverityNumber.DEBUG, severityText: 'DEBUG', body: 'cache miss', attributes: { step: 2 } });
      logger.emit({
        severityNumber: SeverityNumber.ERROR,
        severityText: 'ERROR',
        body: 'payment failed',
        attributes: { 'user.email': 'bob@example.com', step: 3 },
      });
      await provider.forceFlush();

      const records = await waitForRecords(path, 2, 'the processed records');
      // Give a late (wrongly unfiltered) record the chance to show up before asserting "exactly".
      await new Promise((resolve) => setTimeout(resolve, 200));
      const all = flatten(await readJsonlLogs(path));
      assert.deepEqual(
        all.map((r) => r.record.body),
        ['login', 'payment failed'],
        'DEBUG dropped, order kept',
      );
      const sha = (s: string) => createHash('sha256').update(s).digest('hex');
      assert.equal(getAttribute(all[0]!.record.attributes, 'user.email'), sha('ann@example.com'));
      assert.equal(getAttribute(all[1]!.record.attributes, 'user.email'), sha('bob@example.com'));
      assert.equal(getAttribute(all[0]!.record.attributes, 'api_token'), undefined, 'the secret is deleted');
      assert.equal(getAttribute(all[0]!.record.attributes, 'step'), 1n);
      for (const r of all) {
        assert.equal(getAttribute(r.resource.attributes, 'deployment.environment'), 'staging');
        assert.equal(getAttribute(r.resource.attributes, 'service.name'), 'shop');
      }
      assert.equal(records.length, 2);
    } finally {
      await provider.shutdown();
      await collector.shutdown();
      await tmp.cleanup();
    }
  });
});
