import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { getAttribute, isKeyValueList, type AnyValue } from '@sluice/pdata';
import { startTestCollector, tempDir, waitForRecords } from './support/collector';
import { otlpPipelineConfig } from './support/pipeline-config';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/**
 * Logs sent by each official OpenTelemetry JS exporter arrive in the JSONL file with every
 * field intact: body, severity, attributes of every AnyValue kind, resource, scope, trace and
 * span ids, nanosecond timestamps.
 */
describe('OTLP in, JSONL out, with the official OpenTelemetry JS exporters', function () {
  const protocols: Array<{ name: string; make(endpoints: Record<string, string>): LogRecordExporter }> = [
    { name: 'gRPC (exporter-logs-otlp-grpc)', make: (e) => new GrpcExporter({ url: `http://${e['otlp/grpc']}` }) },
    { name: 'HTTP protobuf (exporter-logs-otlp-proto)', make: (e) => new ProtoExporter({ url: `http://${e['otlp/http']}/v1/logs` }) },
    { name: 'HTTP JSON (exporter-logs-otlp-http)', make: (e) => new HttpJsonExporter({ url: `http://${e['otlp/http']}/v1/logs` }) },
  ];

  for (const protocol of protocols) {
    it(`keeps every field over ${protocol.name}`, async function () {
      const tmp = await tempDir();
      const path = join(tmp.dir, 'logs.jsonl');
      const { collector } = await startTestCollector(otlpPipelineConfig({ jsonl: { path } }, { otlp: { grpc: 0, http: 0 } }));
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.2.3', 'deployment.environment.name': 'test' }),
        processors: [new BatchLogRecordProcessor({ exporter: protocol.make(collector.endpoints) })],
      });
      try {
        const logger = provider.getLogger('e2e-scope', '0.0.1');
        const spanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };
        logger.emit({
          timestamp: [1_700_000_000, 123_456_789],
          observedTimestamp: [1_700_000_001, 987_654_321],
          severityNumber: SeverityNumber.WARN,
          severityText: 'WARN',
          body: 'payment declined',
          attributes: {
            str: 'text',
            bool: true,
            int: 42,
            double: 3.5,
            bytes: new Uint8Array([0, 1, 254, 255]),
            array: ['a', 7, false],
            map: { nested: { deep: 'value' }, n: 1 },
          },
          context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
        });
        logger.emit({ timestamp: [1_700_000_002, 1], severityNumber: SeverityNumber.INFO, body: { message: 'structured', code: 7 } });
        await provider.forceFlush();

        const records = await waitForRecords(path, 2, 'two records in the JSONL file');
        assert.equal(records.length, 2);
        const [first, second] = records as [(typeof records)[0], (typeof records)[0]];

        assert.equal(first.record.body, 'payment declined');
        assert.equal(first.record.severityNumber, 13);
        assert.equal(first.record.severityText, 'WARN');
        assert.equal(first.record.timeUnixNano, 1_700_000_000_123_456_789n);
        assert.equal(first.record.observedTimeUnixNano, 1_700_000_001_987_654_321n);
        assert.equal(first.record.traceId, TRACE_ID);
        assert.equal(first.record.spanId, SPAN_ID);
        assert.equal(first.record.flags & 0xff, TraceFlags.SAMPLED);

        const attrs = first.record.attributes;
        assert.equal(getAttribute(attrs, 'str'), 'text');
        assert.equal(getAttribute(attrs, 'bool'), true);
        assert.equal(getAttribute(attrs, 'int'), 42n, 'integers stay ints (bigint), not doubles');
        assert.equal(getAttribute(attrs, 'double'), 3.5);
        assert.deepEqual([...(getAttribute(attrs, 'bytes') as Uint8Array)], [0, 1, 254, 255]);
        assert.deepEqual(getAttribute(attrs, 'array'), ['a', 7n, false]);
        const map = getAttribute(attrs, 'map') as AnyValue;
        assert.ok(isKeyValueList(map));
        const nested = map.kvlist.find((kv) => kv.key === 'nested')!.value;
        assert.ok(isKeyValueList(nested));
        assert.deepEqual(nested.kvlist, [{ key: 'deep', value: 'value' }]);
        assert.equal(map.kvlist.find((kv) => kv.key === 'n')!.value, 1n);

        assert.equal(getAttribute(first.resource.attributes, 'service.name'), 'checkout');
        assert.equal(getAttribute(first.resource.attributes, 'service.version'), '1.2.3');
        assert.equal(getAttribute(first.resource.attributes, 'deployment.environment.name'), 'test');
        assert.equal(first.scope.name, 'e2e-scope');
        assert.equal(first.scope.version, '0.0.1');

        assert.equal(second.record.timeUnixNano, 1_700_000_002_000_000_001n);
        assert.ok(isKeyValueList(second.record.body));
        assert.deepEqual(second.record.body.kvlist, [
          { key: 'message', value: 'structured' },
          { key: 'code', value: 7n },
        ]);
        assert.equal(second.record.traceId, '', 'no span was active for the second record');
      } finally {
        await provider.shutdown();
        await collector.shutdown();
        await tmp.cleanup();
      }
    });
  }
});
