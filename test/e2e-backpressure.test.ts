import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { builtinComponents } from '@sluice/collector';
import { createQueuedExporter, exporterHelperShape, section, type ExporterFactory, type ExporterHelperConfig } from '@sluice/core';
import { encodeLogsProto, type LogsData } from '@sluice/pdata';
import { refusedRecords, startTestCollector, waitFor } from './support/collector';
import { exportOnce, logsWithBodies, postOtlpHttp } from './support/otlp';

/** A destination that stalls until opened, then keeps every record body it is sent. */
class StallingDestination {
  readonly bodies: string[] = [];
  private opened!: () => void;
  private gate = new Promise<void>((resolve) => (this.opened = resolve));

  async send(logs: LogsData): Promise<void> {
    await this.gate;
    for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) this.bodies.push(r.body as string);
  }

  open(): void {
    this.opened();
  }
}

let destination = new StallingDestination();

/** A test-only exporter: the real exporter helper (queue, consumers) in front of the stalling destination. */
const stallingExporterFactory: ExporterFactory<ExporterHelperConfig> = {
  kind: 'exporter',
  type: 'stalling',
  description: 'test exporter that stalls until told to recover',
  configSchema: section({ ...exporterHelperShape() }),
  create: (settings, config) =>
    createQueuedExporter({
      settings,
      config,
      encode: (logs: LogsData) => logs,
      send: async (logs) => {
        await destination.send(logs);
        return { ok: true };
      },
    }),
};

/** One record with this body (and a timestamp, as an SDK would send). */
function logsWithBody(body: string): LogsData {
  return logsWithBodies([body], { firstTimeUnixNano: 1n });
}

/**
 * With the exporter stalled and its sending queue full, the receiver refuses as retryable (429 +
 * Retry-After, RESOURCE_EXHAUSTED + RetryInfo / pushback); clients that retry deliver every
 * record once the exporter recovers.
 */
describe('receiver backpressure: a full sending queue end to end', function () {
  let ctx: Awaited<ReturnType<typeof startTestCollector>>;
  const exporters: LogRecordExporter[] = [];

  beforeEach(async () => {
    destination = new StallingDestination();
    const registry = builtinComponents().register(stallingExporterFactory);
    ctx = await startTestCollector(
      `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  stalling:
    sending_queue: { queue_size: 1, num_consumers: 1 }
    retry_on_failure: { enabled: false }
    timeout: 0
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [stalling] }
`,
      { registry },
    );
  });

  afterEach(async () => {
    destination.open();
    await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
    await ctx.collector.shutdown();
  });

  const refused = (transport: string) => refusedRecords(ctx.collector, transport);

  it('OTLP/HTTP: the official exporter gets 429, retries after Retry-After, and every record arrives', async () => {
    const exporter = new ProtoExporter({ url: `http://${ctx.collector.endpoints['otlp/http']}/v1/logs`, timeoutMillis: 15_000 });
    exporters.push(exporter);
    const raw = await postOtlpHttp(ctx.collector.endpoints['otlp/http']!, logsWithBody('raw 0'));
    assert.equal(raw.status, 200, 'the first batch is taken by the stalled consumer');
    const bodies = Array.from({ length: 5 }, (_, i) => `http ${i}`);
    const results = bodies.map((body) => exportOnce(exporter, body));
    await waitFor(async () => ((await refused('http')) > 0 ? true : undefined), 10_000, 'a refusal');
    const full = await postOtlpHttp(ctx.collector.endpoints['otlp/http']!, logsWithBody('raw 1'));
    assert.equal(full.status, 429);
    assert.equal(full.headers.get('retry-after'), '1');
    destination.open();
    for (const result of await Promise.all(results)) assert.equal(result.error, undefined, 'every export succeeds in the end');
    await waitFor(
      () => (bodies.every((b) => destination.bodies.includes(b)) ? true : undefined),
      10_000,
      'every record at the destination',
    );
    assert.deepEqual(destination.bodies.filter((b) => b.startsWith('http ')).sort(), bodies);
  });

  it('OTLP/gRPC: the official exporter sees RESOURCE_EXHAUSTED; a retrying grpc-js client delivers every record', async () => {
    const address = ctx.collector.endpoints['otlp/grpc']!;
    const service = 'opentelemetry.proto.collector.logs.v1.LogsService';
    const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.service_config': JSON.stringify({
        methodConfig: [
          {
            name: [{ service }],
            retryPolicy: {
              maxAttempts: 5,
              initialBackoff: '0.2s',
              maxBackoff: '2s',
              backoffMultiplier: 2,
              retryableStatusCodes: ['RESOURCE_EXHAUSTED'],
            },
          },
        ],
      }),
    });
    const send = (body: string) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          `/${service}/Export`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(encodeLogsProto(logsWithBody(body))),
          (err) => resolve(err),
        ),
      );
    try {
      assert.equal(await send('grpc first'), null, 'the first batch is taken by the stalled consumer');
      assert.equal(await send('grpc queued'), null, 'the second fills the queue');
      const official = new GrpcExporter({ url: `http://${address}` });
      exporters.push(official);
      const refusedResult = await exportOnce(official, 'official refused');
      assert.equal((refusedResult.error as { code?: number } | undefined)?.code, grpc.status.RESOURCE_EXHAUSTED);
      // The official JS gRPC exporter does not retry; grpc-js with a retry policy does, waiting as the pushback trailer says.
      const bodies = Array.from({ length: 4 }, (_, i) => `grpc ${i}`);
      const results = bodies.map(send);
      await waitFor(async () => ((await refused('grpc')) > 1 ? true : undefined), 10_000, 'the retrying client to be refused');
      destination.open();
      for (const err of await Promise.all(results)) assert.equal(err, null, 'every call succeeds after retrying');
      await waitFor(
        () => (bodies.every((b) => destination.bodies.includes(b)) ? true : undefined),
        10_000,
        'every record at the destination',
      );
      assert.ok(!destination.bodies.includes('official refused'));
    } finally {
      client.close();
    }
  });
});
