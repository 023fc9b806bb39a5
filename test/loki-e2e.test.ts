/**
 * The whole path: the official OpenTelemetry JS OTLP exporter → Sluice's OTLP receiver → the Loki
 * exporter → the Loki test server, configured from YAML as a user would. Every line is read back
 * with its labels, structured metadata and content, in both Loki encodings. (Outage and crash:
 * e2e-loki-outage.test.ts and e2e-loki-crash.test.ts.)
 */
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { startTestCollector, waitFor } from './support/collector';
import { startLokiTestServer, type LokiTestServer } from './support/loki/server';
import { otlpPipelineConfig } from './support/pipeline-config';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

function collectorConfig(pushUrl: string, lokiSettings: Record<string, unknown>): string {
  return otlpPipelineConfig({ loki: { endpoint: pushUrl, tenant_id: 'team-a', ...lokiSettings } });
}

function providerFor(otlpHttp: string) {
  return new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment.name': 'test', 'host.name': 'web-1' }),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://${otlpHttp}/v1/logs` }) })],
  });
}

describe('OTLP in → Loki exporter → Loki test server', function () {
  let server: LokiTestServer;
  beforeEach(async () => {
    server = await startLokiTestServer();
  });
  afterEach(() => server.close());

  for (const encoding of ['protobuf', 'json']) {
    it(`reads back every line with labels, structured metadata and content (encoding: ${encoding})`, async () => {
      const { collector } = await startTestCollector(
        collectorConfig(server.pushUrl, {
          encoding,
          labels: { attributes: { 'http.route': 'route' } },
          structured_metadata: { attributes: ['session.id'] },
        }),
      );
      const provider = providerFor(collector.endpoints['otlp/http']!);
      try {
        const logger = provider.getLogger('checkout.http', '1.4.0');
        const now = Date.now();
        logger.emit({
          timestamp: now,
          severityNumber: SeverityNumber.WARN,
          severityText: 'WARN',
          body: 'payment declined',
          attributes: { 'http.route': '/pay', 'session.id': 's-42', attempt: 2 },
          context: trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }),
        });
        logger.emit({
          timestamp: now + 1,
          severityNumber: SeverityNumber.INFO,
          body: 'cart viewed',
          attributes: { 'http.route': '/cart' },
        });
        await provider.forceFlush();
        await waitFor(() => (server.entries().length >= 2 ? true : undefined), 10_000, 'two entries in Loki');
      } finally {
        await provider.shutdown();
        await collector.shutdown();
      }

      assert.equal(server.entries().length, 2);
      const [declined] = server.query({ service_name: 'checkout', route: '/pay' }, { tenant: 'team-a', metadata: { trace_id: TRACE_ID } });
      assert.ok(declined, 'found by label and by trace_id metadata');
      assert.deepEqual(declined.labels, { service_name: 'checkout', deployment_environment_name: 'test', route: '/pay' });
      assert.deepEqual(declined.metadata, {
        trace_id: TRACE_ID,
        span_id: SPAN_ID,
        severity_text: 'WARN',
        severity_number: '13',
        detected_level: 'warn',
        session_id: 's-42',
      });
      const line = JSON.parse(declined.line) as {
        body: unknown;
        traceid: unknown;
        severity: unknown;
        attributes: unknown;
        resources: Record<string, unknown>;
        instrumentation_scope: unknown;
      };
      assert.equal(line.body, 'payment declined');
      assert.equal(line.traceid, TRACE_ID);
      assert.equal(line.severity, 'WARN');
      assert.deepEqual(line.attributes, { 'session.id': 's-42', attempt: 2 }, 'the route became a label and left the line');
      assert.equal(line.resources['service.name'], 'checkout');
      assert.deepEqual(line.instrumentation_scope, { name: 'checkout.http', version: '1.4.0' });
      const [viewed] = server.query({ route: '/cart' });
      assert.equal((JSON.parse(viewed!.line) as { body: unknown }).body, 'cart viewed');
      assert.equal(viewed!.metadata.detected_level, 'info');
    });
  }
});
