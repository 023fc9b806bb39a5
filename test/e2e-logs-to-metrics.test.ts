import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { metricValue, startTestCollector, waitFor } from './support/collector';

const CONFIG = `
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
connectors:
  count:
    logs:
      app.errors:
        description: Error logs.
        conditions: ['severity_number >= SEVERITY_NUMBER_ERROR']
        attributes: [{ key: route, default_value: none }]
  signaltometrics:
    logs:
      - name: http.server.request.duration
        description: Request duration, from duration_ms.
        unit: s
        conditions: ['attributes["duration_ms"] != nil']
        attributes: [{ key: route }]
        histogram:
          buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10]
          value: Double(attributes["duration_ms"]) / 1000
      - name: process.memory.usage
        unit: By
        gauge:
          value: attributes["memory_bytes"]
      - name: user.requests
        attributes: [{ key: user }]
        sum:
          value: "1"
exporters:
  prometheus:
    endpoint: 127.0.0.1:0
    namespace: shop
    const_labels: { env: test }
    resource_to_telemetry_conversion: { enabled: true }
    max_series_per_metric: 3
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [count, signaltometrics]
    metrics:
      receivers: [count, signaltometrics]
      exporters: [prometheus]
`;

// Binary-exact in seconds, so the histogram sum is exact whatever order it adds them in.
const DURATIONS_MS = [7.8125, 62.5, 125, 250, 750, 1500, 3000, 12000];
const ERRORS = new Set([1, 5, 7]);
const USERS = ['ann', 'bob', 'cy', 'dee', 'eve'];
const MEMORY = [100, 300, 200];

/** A real OTel SDK → OTLP/HTTP receiver → count + signaltometrics → prometheus exporter → a scrape. */
describe('logs → metrics: count and signaltometrics connectors, prometheus exporter', function () {
  it('serves a counter, a histogram and a gauge derived from the logs, with configured labels and a series limit', async () => {
    const { collector } = await startTestCollector(CONFIG);
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop' }),
      processors: [
        new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://${collector.endpoints['otlp/http']}/v1/logs` }) }),
      ],
    });
    try {
      const logger = provider.getLogger('shop');
      DURATIONS_MS.forEach((duration_ms, i) => {
        const context = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: (i + 1).toString(16).padStart(32, '0'),
          spanId: (i + 1).toString(16).padStart(16, '0'),
          traceFlags: TraceFlags.SAMPLED,
        });
        const error = ERRORS.has(i);
        logger.emit({
          context,
          severityNumber: error ? SeverityNumber.ERROR : SeverityNumber.INFO,
          severityText: error ? 'ERROR' : 'INFO',
          body: error ? 'checkout failed' : 'checkout done',
          attributes: { route: '/checkout', duration_ms, ...(i < USERS.length ? { user: USERS[i] } : {}) },
        });
      });
      for (const memory_bytes of MEMORY) {
        logger.emit({ severityNumber: SeverityNumber.INFO, body: 'memory', attributes: { memory_bytes } });
      }
      await provider.forceFlush();

      const url = `http://${collector.endpoints.prometheus}/metrics`;
      const text = await waitFor(
        async () => {
          const body = await (await fetch(url)).text();
          return metricValue(body, 'shop_process_memory_usage_bytes') !== undefined ? body : undefined;
        },
        10_000,
        'the derived metrics',
      );
      const labels = { env: 'test', service_name: 'shop', route: '/checkout' };
      assert.equal(metricValue(text, 'shop_app_errors_total', labels), ERRORS.size, 'one count per error log');
      assert.equal(metricValue(text, 'shop_app_errors_total'), ERRORS.size, 'and no other series counts errors');

      const seconds = DURATIONS_MS.map((ms) => ms / 1000);
      for (const le of [0.01, 0.1, 0.5, 1, 2, 5, 10]) {
        const expected = seconds.filter((s) => s <= le).length;
        assert.equal(
          metricValue(text, 'shop_http_server_request_duration_seconds_bucket', { ...labels, le: String(le) }),
          expected,
          `le=${le}`,
        );
      }
      assert.equal(metricValue(text, 'shop_http_server_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), seconds.length);
      assert.equal(metricValue(text, 'shop_http_server_request_duration_seconds_count', labels), seconds.length);
      assert.equal(
        metricValue(text, 'shop_http_server_request_duration_seconds_sum', labels),
        seconds.reduce((a, b) => a + b, 0),
      );
      assert.equal(metricValue(text, 'shop_process_memory_usage_bytes', { env: 'test', service_name: 'shop' }), MEMORY.at(-1));
      assert.match(text, /# TYPE shop_http_server_request_duration_seconds histogram/);
      assert.match(text, /# HELP shop_app_errors_total Error logs\./);

      const userSeries = text.split('\n').filter((line) => line.startsWith('shop_user_requests_total{'));
      assert.equal(userSeries.length, 3, 'max_series_per_metric holds');
      const self = await collector.telemetry.scrape();
      assert.equal(
        metricValue(self, 'sluice_prometheus_exporter_dropped_points_total', {
          exporter: 'prometheus',
          metric: 'shop_user_requests_total',
          reason: 'series_limit',
        }),
        USERS.length - 3,
        'each point over the limit is counted',
      );
    } finally {
      await provider.shutdown();
      await collector.shutdown();
    }
  });
});
