import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { z } from 'zod';
import { builtinComponents } from '@sluice/collector';
import { section, type ProcessorFactory } from '@sluice/core';
import { encodeLogsProto } from '@sluice/pdata';
import { refusedRecords, startTestCollector } from './support/collector';
import { exportOnce, logsWithBodies, postOtlpHttp } from './support/otlp';

/** A processor with a bug: it throws a TypeError, synchronously or as a rejected promise. */
let calls = 0;
const buggyProcessorFactory: ProcessorFactory<{ mode: 'sync' | 'async' }> = {
  kind: 'processor',
  type: 'buggy',
  description: 'test: fails with a TypeError',
  configSchema: section({ mode: z.enum(['sync', 'async']) }),
  capabilities: { mutatesData: false },
  create: (_settings, config) => ({
    start: async () => {},
    shutdown: async () => {},
    consume: (logs) => {
      calls++;
      const bug = () => (logs as unknown as { missing: { field: number } }).missing.field;
      if (config.mode === 'sync') return Promise.resolve(bug()).then(() => undefined);
      return Promise.resolve()
        .then(bug)
        .then(() => undefined);
    },
  }),
};

const BUG_LOG = 'a component failed unexpectedly (a bug); the data was refused as permanent';

for (const mode of ['sync', 'async'] as const) {
  describe(`a processor bug (${mode} TypeError) is an internal error, not a retryable refusal`, function () {
    let ctx: Awaited<ReturnType<typeof startTestCollector>>;

    beforeEach(async () => {
      calls = 0;
      ctx = await startTestCollector(
        `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
processors:
  buggy: { mode: ${mode} }
exporters:
  debug: {}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], processors: [buggy], exporters: [debug] }
`,
        { registry: builtinComponents().register(buggyProcessorFactory) },
      );
    });

    afterEach(() => ctx.collector.shutdown());

    const refused = (transport: string) => refusedRecords(ctx.collector, transport);

    it('OTLP/HTTP answers 500; the official exporter does not retry; counted as refused; logged once', async () => {
      const address = ctx.collector.endpoints['otlp/http']!;
      const raw = await postOtlpHttp(address, logsWithBodies(['a', 'b']));
      assert.equal(raw.status, 500);
      assert.match(raw.text, /SLUICE_INTERNAL: TypeError/);
      assert.equal(await refused('http'), 2);

      const exporter = new ProtoExporter({ url: `http://${address}/v1/logs`, timeoutMillis: 10_000 });
      try {
        const result = await exportOnce(exporter, 'c');
        assert.notEqual(result.error, undefined, 'the export fails');
        assert.equal(calls, 2, 'one call per request: the exporter did not retry');
      } finally {
        await exporter.shutdown();
      }
      assert.equal(await refused('http'), 3);
      const logged = ctx.logger.lines.filter((l) => l.message === BUG_LOG);
      assert.equal(logged.length, 1, 'logged once, not once per request');
      assert.equal(logged[0]!.level, 'error');
      assert.equal(logged[0]!.fields.pipeline, 'logs');
      assert.match(String(logged[0]!.fields.error), /TypeError[\s\S]*\n\s+at /, 'with its stack');
    });

    it('OTLP/gRPC answers INTERNAL; counted as refused', async () => {
      const client = new grpc.Client(ctx.collector.endpoints['otlp/grpc']!, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError | null>((resolve) => {
          client.makeUnaryRequest(
            '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(encodeLogsProto(logsWithBodies(['a', 'b', 'c']))),
            (e) => resolve(e),
          );
        });
        assert.equal(err?.code, grpc.status.INTERNAL);
        assert.match(err.details, /SLUICE_INTERNAL: TypeError/);
        assert.equal(await refused('grpc'), 3);
      } finally {
        client.close();
      }
    });
  });
}
