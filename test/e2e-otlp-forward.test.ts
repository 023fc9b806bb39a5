/**
 * Collector → collector over OTLP: records received by collector A and forwarded by its `otlp`
 * (gRPC) or `otlphttp` (protobuf, JSON) exporter arrive in collector B's JSONL file unchanged;
 * an agent → gateway chain with TLS and a bearer token; and a gateway that is down, then up.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ProtoReader, decodeLogsProto, encodeLogsProto, newLogRecord, type LogsData } from '@sluice/pdata';
import { makeTestCerts } from './support/certs';
import { metricValue, readJsonlLogs, startTestCollector, tempDir, waitFor, waitForRecords } from './support/collector';
import { startLokiTestServer } from './support/loki';
import { postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const fastRetries = { initial_interval: '10ms', max_interval: '50ms', randomization_factor: 0 };

/** Every field of the data model set, every AnyValue kind, int64 extremes and nanosecond timestamps. */
function richLogs(): LogsData {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: 'checkout' },
            { key: 'host.cpus', value: 8n },
          ],
          droppedAttributesCount: 2,
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [
          {
            scope: {
              name: 'checkout.payments',
              version: '2.1.0',
              attributes: [{ key: 'scope.attr', value: true }],
              droppedAttributesCount: 1,
            },
            schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
            logRecords: [
              newLogRecord({
                timeUnixNano: 1_700_000_000_123_456_789n,
                observedTimeUnixNano: 1_700_000_000_987_654_321n,
                severityNumber: 17,
                severityText: 'ERROR',
                body: {
                  kvlist: [
                    { key: 'msg', value: 'payment declined' },
                    { key: 'dup', value: 1n },
                    { key: 'dup', value: 2n },
                  ],
                },
                attributes: [
                  { key: 'str', value: 'ünïcødé 🙂' },
                  { key: 'bool', value: false },
                  { key: 'int.min', value: INT64_MIN },
                  { key: 'int.max', value: INT64_MAX },
                  { key: 'double', value: 1.0 },
                  { key: 'double.frac', value: -0.125 },
                  { key: 'bytes', value: new Uint8Array([0, 1, 254, 255]) },
                  { key: 'array', value: ['a', 7n, 2.5, true, null, [new Uint8Array([9])]] },
                  { key: 'map', value: { kvlist: [{ key: 'nested', value: { kvlist: [{ key: 'deep', value: 'value' }] } }] } },
                  { key: 'empty', value: null },
                ],
                droppedAttributesCount: 3,
                flags: 1,
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                eventName: 'payment.declined',
              }),
              newLogRecord({ timeUnixNano: 1n, body: 'second record', severityNumber: 9, severityText: 'INFO' }),
            ],
          },
        ],
      },
    ],
  };
}

async function postProto(endpoint: string, logs: LogsData): Promise<void> {
  const response = await postOtlpHttp(endpoint, logs);
  assert.equal(response.status, 200, response.text);
}

/** A port that was free a moment ago: for a collector started later on a port an exporter already targets. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Collector B: OTLP in (gRPC and HTTP, `grpcPort` 0 unless given), JSONL (format json) out. */
function sinkConfig(path: string, grpcPort = 0, httpPort = 0): string {
  return otlpPipelineConfig({ jsonl: { path, format: 'json' } }, { otlp: { grpc: grpcPort, http: httpPort } });
}

/** Collector A: OTLP/HTTP in, one exporter (`id`, its settings) out. */
function forwarderConfig(id: string, exporter: Record<string, unknown>): string {
  return otlpPipelineConfig({ [id]: exporter });
}

describe('collector → collector over OTLP', function () {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  const paths: Array<{ name: string; id: string; exporter(b: Record<string, string>): Record<string, unknown> }> = [
    { name: 'otlp (gRPC)', id: 'otlp/forward', exporter: (b) => ({ endpoint: b['otlp/grpc'], tls: { insecure: true } }) },
    { name: 'otlphttp protobuf', id: 'otlphttp/forward', exporter: (b) => ({ endpoint: `http://${b['otlp/http']}` }) },
    { name: 'otlphttp json', id: 'otlphttp/forward', exporter: (b) => ({ endpoint: `http://${b['otlp/http']}`, encoding: 'json' }) },
  ];
  for (const path of paths) {
    it(`forwards every field unchanged through ${path.name}`, async () => {
      const tmp = await tempDir();
      cleanups.push(tmp.cleanup);
      const file = join(tmp.dir, 'b.jsonl');
      const b = await startTestCollector(sinkConfig(file));
      cleanups.push(() => b.collector.shutdown());
      const a = await startTestCollector(forwarderConfig(path.id, path.exporter(b.collector.endpoints)));
      cleanups.push(() => a.collector.shutdown());

      const sent = richLogs();
      await postProto(a.collector.endpoints['otlp/http']!, sent);
      const received = await waitFor(
        async () => {
          const batches = await readJsonlLogs(file);
          return batches.length > 0 ? batches : undefined;
        },
        10_000,
        "the forwarded batch in B's file",
      );
      assert.equal(received.length, 1);
      assert.deepEqual(received[0], sent);
    });
  }

  /** An OTLP/HTTP endpoint that keeps every request body as it arrived and answers an empty success. */
  async function startRawSink(): Promise<{ url: string; bodies: Buffer[] }> {
    const bodies: Buffer[] = [];
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
  }

  /**
   * richLogs as protobuf, its first length written in one byte more than it needs (a padded varint:
   * valid protobuf that any parser reads, and that Sluice's encoder never writes), so a forward
   * that re-encoded the request would change its bytes.
   */
  function richRequestAsSomeoneElseEncodedIt(): Buffer {
    const canonical = encodeLogsProto(richLogs());
    assert.equal(canonical[0], 0x0a);
    const reader = new ProtoReader(canonical.subarray(1));
    const length = reader.uint32();
    const padded: number[] = [];
    for (let rest = length; ; rest = Math.floor(rest / 128)) {
      padded.push((rest % 128) | 0x80);
      if (rest < 128) break;
    }
    padded.push(0x00);
    return Buffer.concat([Buffer.from([0x0a, ...padded]), canonical.subarray(1 + reader.pos)]);
  }

  /** richLogs as protobuf, plus a field this version of OTLP does not define (number 99, a string). */
  function richRequestWithUnknownField(): Buffer {
    const unknown = Buffer.from([0x9a, 0x06, 3, 0x6e, 0x65, 0x77]); // field 99, wire type 2, "new"
    return Buffer.concat([encodeLogsProto(richLogs()), unknown]);
  }

  async function postBytes(endpoint: string, body: Buffer): Promise<void> {
    const response = await fetch(`http://${endpoint}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    assert.equal(response.status, 200, await response.text());
  }

  it('forwards the request bytes as they arrived when no processor changes them: byte for byte', async () => {
    const sink = await startRawSink();
    const a = await startTestCollector(forwarderConfig('otlphttp/forward', { endpoint: sink.url, compression: 'none' }));
    cleanups.push(() => a.collector.shutdown());

    const sent = richRequestAsSomeoneElseEncodedIt();
    assert.ok(!sent.equals(encodeLogsProto(richLogs())), 'bytes that re-encoding would change');
    await postBytes(a.collector.endpoints['otlp/http']!, sent);
    await waitFor(() => (sink.bodies.length > 0 ? true : undefined), 10_000, 'the forwarded request at the sink');
    assert.equal(sink.bodies.length, 1);
    assert.ok(sink.bodies[0]!.equals(sent), 'the forwarded body is the received body, byte for byte');
    // And field by field: the same data model as sent.
    assert.deepEqual(decodeLogsProto(sink.bodies[0]!), richLogs());
  });

  it('re-encodes a request with a field this version of OTLP does not know (its strings cannot be checked), as otelcol drops it', async () => {
    const sink = await startRawSink();
    const a = await startTestCollector(forwarderConfig('otlphttp/forward', { endpoint: sink.url, compression: 'none' }));
    cleanups.push(() => a.collector.shutdown());

    await postBytes(a.collector.endpoints['otlp/http']!, richRequestWithUnknownField());
    await waitFor(() => (sink.bodies.length > 0 ? true : undefined), 10_000, 'the forwarded request at the sink');
    assert.ok(sink.bodies[0]!.equals(encodeLogsProto(richLogs())), 'the request as Sluice read it, without the unknown field');
  });

  it('encodes the changed data, not the bytes it arrived as, when a processor changes it', async () => {
    const sink = await startRawSink();
    const a = await startTestCollector(
      otlpPipelineConfig(
        { 'otlphttp/forward': { endpoint: sink.url, compression: 'none' } },
        { processors: { attributes: { actions: [{ key: 'added.by', value: 'agent', action: 'insert' }] } } },
      ),
    );
    cleanups.push(() => a.collector.shutdown());

    await postBytes(a.collector.endpoints['otlp/http']!, richRequestWithUnknownField());
    await waitFor(() => (sink.bodies.length > 0 ? true : undefined), 10_000, 'the forwarded request at the sink');
    const expected = richLogs();
    for (const record of expected.resourceLogs[0]!.scopeLogs[0]!.logRecords) record.attributes.push({ key: 'added.by', value: 'agent' });
    assert.deepEqual(decodeLogsProto(sink.bodies[0]!), expected);
    assert.ok(sink.bodies[0]!.equals(encodeLogsProto(expected)), 'encoded from the changed model (the unknown field is gone)');
  });

  for (const kind of ['otlp', 'otlphttp'] as const) {
    it(`runs an agent → gateway chain over TLS with a bearer token (${kind}), the gateway writing to a file and Loki`, async () => {
      const tmp = await tempDir();
      cleanups.push(tmp.cleanup);
      const certs = makeTestCerts(tmp.dir);
      const loki = await startLokiTestServer({ authEnabled: false });
      cleanups.push(() => loki.close());
      const gatewayFile = join(tmp.dir, 'gateway.jsonl');
      const gateway = await startTestCollector(gatewayConfig(certs, gatewayFile, loki.pushUrl));
      cleanups.push(() => gateway.collector.shutdown());
      const agent = await startTestCollector(
        agentConfig(certs.caCert, gatewayEndpoint(kind, gateway.collector.endpoints), join(tmp.dir, 'queue'), kind),
        {
          env: { SLUICE_TOKEN: 'chain-token' },
        },
      );
      cleanups.push(() => agent.collector.shutdown());

      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'shop' }),
        processors: [
          new BatchLogRecordProcessor({ exporter: new ProtoExporter({ url: `http://${agent.collector.endpoints['otlp/http']}/v1/logs` }) }),
        ],
      });
      cleanups.push(() => provider.shutdown());
      provider.getLogger('app').emit({ severityNumber: SeverityNumber.INFO, body: 'order placed', attributes: { order: 42 } });
      await provider.forceFlush();

      const records = await waitForRecords(gatewayFile, 1, "the record in the gateway's file");
      assert.equal(records[0]!.record.body, 'order placed');
      await waitFor(() => (loki.entries().length > 0 ? true : undefined), 10_000, 'the record in Loki');
      assert.equal(loki.query({ service_name: 'shop' }).length, 1);
    });
  }

  it('drops what the gateway refuses for a wrong token: sent once, counted, logged, not retried', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const certs = makeTestCerts(tmp.dir);
    const gatewayFile = join(tmp.dir, 'gateway.jsonl');
    const gateway = await startTestCollector(gatewayConfig(certs, gatewayFile));
    cleanups.push(() => gateway.collector.shutdown());
    const agent = await startTestCollector(agentConfig(certs.caCert, gateway.collector.endpoints['otlp/grpc']!, join(tmp.dir, 'queue')), {
      env: { SLUICE_TOKEN: 'wrong-token' },
    });
    cleanups.push(() => agent.collector.shutdown());

    await postProto(agent.collector.endpoints['otlp/http']!, richLogs());
    const scrape = () => agent.collector.telemetry.scrape();
    await waitFor(
      async () =>
        metricValue(await scrape(), 'otelcol_exporter_send_failed_log_records_total', { exporter: 'otlp' }) === 2 ? true : undefined,
      10_000,
      'the failure counted',
    );
    const metrics = await scrape();
    assert.equal(metricValue(metrics, 'sluice_exporter_dropped_log_records_total', { exporter: 'otlp', reason: 'permanent_error' }), 2);
    assert.equal(metricValue(metrics, 'sluice_exporter_send_duration_seconds_count', { exporter: 'otlp', outcome: 'permanent' }), 1);
    assert.equal(metricValue(metrics, 'sluice_exporter_send_duration_seconds_count', { exporter: 'otlp', outcome: 'retryable' }) ?? 0, 0);
    const logged = agent.logger.lines.find((l) => l.message === 'dropping log records the destination refused permanently');
    assert.ok(logged, 'the drop is logged');
    assert.match(String(logged.fields.reason), /UNAUTHENTICATED: the bearer token is not valid/);
    assert.ok(!JSON.stringify(agent.logger.lines).includes('wrong-token'), 'the token never reaches the log');
    assert.deepEqual(await readJsonlLogs(gatewayFile), []);
  });

  for (const kind of ['otlp', 'otlphttp'] as const) {
    it(`holds the data while the next collector is down and delivers it once it starts (${kind})`, async () => {
      const tmp = await tempDir();
      cleanups.push(tmp.cleanup);
      const port = await freePort();
      const exporter =
        kind === 'otlp'
          ? { endpoint: `127.0.0.1:${port}`, tls: { insecure: true }, retry_on_failure: fastRetries }
          : { endpoint: `http://127.0.0.1:${port}`, retry_on_failure: fastRetries };
      const a = await startTestCollector(forwarderConfig(kind, exporter));
      cleanups.push(() => a.collector.shutdown());

      const sent = richLogs();
      await postProto(a.collector.endpoints['otlp/http']!, sent);
      const retries = () => a.logger.lines.filter((l) => l.message === 'send failed; will retry').length;
      await waitFor(() => (retries() >= 3 ? true : undefined), 10_000, 'retries while B is down');

      const file = join(tmp.dir, 'b.jsonl');
      const b = await startTestCollector(kind === 'otlp' ? sinkConfig(file, port) : sinkConfig(file, 0, port));
      cleanups.push(() => b.collector.shutdown());
      const received = await waitFor(
        async () => {
          const batches = await readJsonlLogs(file);
          return batches.length > 0 ? batches : undefined;
        },
        10_000,
        'the held batch in B once it is up',
      );
      assert.deepEqual(received, [sent]);
    });
  }
});

function gatewayConfig(certs: { serverCert: string; serverKey: string }, file: string, lokiUrl?: string): string {
  return `
extensions:
  bearertokenauth: { token: chain-token }
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
        tls: { cert_file: ${certs.serverCert}, key_file: ${certs.serverKey} }
        auth: { authenticator: bearertokenauth }
      http:
        endpoint: 127.0.0.1:0
        tls: { cert_file: ${certs.serverCert}, key_file: ${certs.serverKey} }
        auth: { authenticator: bearertokenauth }
exporters:
  jsonl: { path: ${file}, format: json }
${lokiUrl ? `  loki: { endpoint: ${lokiUrl} }` : ''}
service:
  extensions: [bearertokenauth]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl${lokiUrl ? ', loki' : ''}] }
`;
}

/** The gateway's TLS address as each exporter writes it. */
function gatewayEndpoint(kind: 'otlp' | 'otlphttp', endpoints: Record<string, string>): string {
  return kind === 'otlp' ? endpoints['otlp/grpc']! : `https://${endpoints['otlp/http']}`;
}

function agentConfig(caFile: string, gateway: string, queueDir: string, kind: 'otlp' | 'otlphttp' = 'otlp'): string {
  return `
extensions:
  bearertokenauth:
    token: \${env:SLUICE_TOKEN}
  file_storage: { directory: ${queueDir} }
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  ${kind}:
    endpoint: ${gateway}
    tls: { ca_file: ${caFile} }
    auth: { authenticator: bearertokenauth }
    sending_queue: { storage: file_storage }
    retry_on_failure: ${JSON.stringify(fastRetries)}
service:
  extensions: [bearertokenauth, file_storage]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [${kind}] }
`;
}
