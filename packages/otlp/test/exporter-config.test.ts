/**
 * The exporters' config as otelcol writes it: endpoint forms, defaults, the logs URL, clear errors
 * for what Sluice cannot do, and warnings for otelcol keys it ignores.
 */
import assert from 'node:assert/strict';
import { Registry, loadConfigText } from '@sluice/core';
import { otlpExporterFactory, otlpHttpExporterFactory, otlpReceiverFactory } from '../src/index';
import { logsUrl, parseGrpcEndpoint } from '../src/exporter/config';

function issues(result: { success: boolean; error?: { issues: Array<{ path: Array<string | number>; message: string }> } }) {
  return result.success ? [] : result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('otlp / otlphttp exporter config', () => {
  it('reads gRPC endpoints as otelcol does: host:port, http(s):// (https forces TLS), grpc-js names', () => {
    assert.deepEqual(parseGrpcEndpoint('gateway:4317'), { target: 'gateway:4317', https: false });
    assert.deepEqual(parseGrpcEndpoint('https://gateway:4317'), { target: 'gateway:4317', https: true });
    assert.deepEqual(parseGrpcEndpoint('http://127.0.0.1:4317/'), { target: '127.0.0.1:4317', https: false });
    assert.deepEqual(parseGrpcEndpoint('https://gateway'), { target: 'gateway:443', https: true });
    assert.deepEqual(parseGrpcEndpoint('dns:///gateway:4317'), { target: 'dns:///gateway:4317', https: false });
    for (const bad of ['gateway', 'https://gateway:4317/v1/logs', 'ftp://gateway:21']) {
      assert.equal(parseGrpcEndpoint(bad), undefined, bad);
      assert.match(issues(otlpExporterFactory.configSchema.safeParse({ endpoint: bad })).join(), /is not a gRPC endpoint/);
    }
    assert.match(issues(otlpExporterFactory.configSchema.safeParse({})).join(), /endpoint: is required/);
  });

  it("applies otelcol's defaults: TLS on, gzip, 5s (gRPC) and 30s (HTTP) timeouts, protobuf", () => {
    const grpc = otlpExporterFactory.configSchema.parse({ endpoint: 'gateway:4317' });
    assert.equal(grpc.tls.insecure, false);
    assert.equal(grpc.compression, 'gzip');
    assert.equal(grpc.timeout, 5000);
    const http = otlpHttpExporterFactory.configSchema.parse({ endpoint: 'https://gateway:4318' });
    assert.equal(http.compression, 'gzip');
    assert.equal(http.encoding, 'proto');
    assert.equal(http.timeout, 30_000);
    assert.equal(otlpHttpExporterFactory.configSchema.parse({ endpoint: 'http://x:1', compression: 'none' }).compression, 'none');
  });

  it('composes the logs URL: endpoint + /v1/logs (one slash), or logs_endpoint as written', () => {
    assert.equal(logsUrl({ endpoint: 'http://loki:3100/otlp' }).href, 'http://loki:3100/otlp/v1/logs');
    assert.equal(logsUrl({ endpoint: 'http://loki:3100/otlp/' }).href, 'http://loki:3100/otlp/v1/logs');
    assert.equal(logsUrl({ endpoint: 'https://gw:4318' }).href, 'https://gw:4318/v1/logs');
    assert.equal(logsUrl({ endpoint: 'https://gw:4318', logs_endpoint: 'https://other/ingest' }).href, 'https://other/ingest');
  });

  it('refuses what it cannot do with a clear message', () => {
    assert.match(issues(otlpHttpExporterFactory.configSchema.safeParse({})).join(), /endpoint: is required \(or set logs_endpoint\)/);
    assert.match(issues(otlpHttpExporterFactory.configSchema.safeParse({ endpoint: 'gateway:4318' })).join(), /is not an http\(s\) URL/);
    assert.match(
      issues(otlpExporterFactory.configSchema.safeParse({ endpoint: 'g:1', compression: 'zstd' })).join(),
      /compression "zstd" is not supported by Sluice; use gzip or none/,
    );
    assert.match(issues(otlpHttpExporterFactory.configSchema.safeParse({ endpoint: 'http://g:1', encoding: 'xml' })).join(), /encoding/);
  });

  it("answers to otelcol's newer names, warns about ignored otelcol keys and refuses proxy_url", () => {
    const registry = new Registry();
    registry.register(otlpReceiverFactory);
    registry.register(otlpExporterFactory);
    registry.register(otlpHttpExporterFactory);
    const config = (exporters: string) => `
receivers:
  otlp: { protocols: { grpc: { endpoint: 127.0.0.1:0 } } }
exporters:
${exporters}
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [otlp_grpc, otlp_http] }
`;
    const ok = loadConfigText(
      config(`  otlp_grpc: { endpoint: gw:4317, balancer_name: round_robin, sending_queue: { batch: {} } }
  otlp_http: { endpoint: http://gw:4318, max_idle_conns: 10 }`),
      registry,
    );
    assert.ok(ok.config, JSON.stringify(ok.diagnostics));
    const warnings = ok.diagnostics
      .filter((d) => d.severity === 'warning' && d.code === 'SLUICE_CONFIG_UNSUPPORTED_KEY')
      .map((d) => d.path);
    assert.deepEqual(warnings.sort(), ['exporters.otlp_grpc.balancer_name', 'exporters.otlp_http.max_idle_conns']);
    const grpc = ok.config.exporters.get('otlp_grpc')?.config as { sending_queue: { batch?: unknown } } | undefined;
    assert.deepEqual(
      grpc?.sending_queue.batch,
      { flush_timeout: 200, min_size: 8192, max_size: 0, sizer: 'items' },
      'batch: {} is otelcol defaults',
    );

    const refused = loadConfigText(
      config(`  otlp_grpc: { endpoint: gw:4317 }\n  otlp_http: { endpoint: http://gw:4318, proxy_url: http://proxy:3128 }`),
      registry,
    );
    assert.equal(refused.config, undefined);
    assert.ok(
      refused.diagnostics.some((d) => d.severity === 'error' && d.path === 'exporters.otlp_http.proxy_url'),
      JSON.stringify(refused.diagnostics),
    );
  });
});
