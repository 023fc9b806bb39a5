import assert from 'node:assert/strict';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { LogsData } from '../src/index';
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '../src/index';

// Records made by the real OpenTelemetry JS SDK and serialized by its official OTLP serializers.

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
// hrtime keeps every nanosecond: 1700000000.123456789 s
const TIME: [number, number] = [1_700_000_000, 123_456_789];
const OBSERVED: [number, number] = [1_700_000_001, 987_654_321];

async function emitRecords(): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'checkout', 'service.version': '1.2.3', 'host.cpus': 4, 'deployment.canary': true },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
    ),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('checkout.http', '0.9.1', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
    attributes: { 'scope.attr': 'yes' },
  });
  const spanContext = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    timestamp: TIME,
    observedTimestamp: OBSERVED,
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    eventName: 'checkout.retry',
    body: {
      message: 'payment retried ✓',
      attempt: 3,
      ratio: 0.25,
      ok: false,
      tags: ['a', 7, 1.5, true],
      nested: { deeper: { leaf: 'x' } },
      raw: new Uint8Array([0, 1, 254, 255]),
    },
    attributes: {
      'http.method': 'POST',
      'http.status_code': 503,
      'duration.ms': 12.5,
      retry: true,
      ids: ['u1', 'u2'],
      payload: new Uint8Array([222, 173, 190, 239]),
    },
    context: spanContext,
  });
  logger.emit({ timestamp: TIME, body: 'plain string body', severityNumber: SeverityNumber.INFO });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

function checkDecoded(logs: LogsData): void {
  assert.equal(logs.resourceLogs.length, 1);
  const rl = logs.resourceLogs[0]!;
  assert.equal(rl.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  assert.deepEqual(rl.resource.attributes, [
    { key: 'service.name', value: 'checkout' },
    { key: 'service.version', value: '1.2.3' },
    { key: 'host.cpus', value: 4n },
    { key: 'deployment.canary', value: true },
  ]);
  assert.equal(rl.scopeLogs.length, 1);
  const sl = rl.scopeLogs[0]!;
  assert.equal(sl.schemaUrl, 'https://opentelemetry.io/schemas/1.25.0');
  assert.deepEqual(sl.scope, {
    name: 'checkout.http',
    version: '0.9.1',
    attributes: [{ key: 'scope.attr', value: 'yes' }],
    droppedAttributesCount: 0,
  });
  assert.equal(sl.logRecords.length, 2);

  const [full, plain] = sl.logRecords;
  assert.deepEqual(full, {
    timeUnixNano: 1_700_000_000_123_456_789n,
    observedTimeUnixNano: 1_700_000_001_987_654_321n,
    severityNumber: 13,
    severityText: 'WARN',
    body: {
      kvlist: [
        { key: 'message', value: 'payment retried ✓' },
        { key: 'attempt', value: 3n },
        { key: 'ratio', value: 0.25 },
        { key: 'ok', value: false },
        { key: 'tags', value: ['a', 7n, 1.5, true] },
        { key: 'nested', value: { kvlist: [{ key: 'deeper', value: { kvlist: [{ key: 'leaf', value: 'x' }] } }] } },
        { key: 'raw', value: new Uint8Array([0, 1, 254, 255]) },
      ],
    },
    attributes: [
      { key: 'http.method', value: 'POST' },
      { key: 'http.status_code', value: 503n },
      { key: 'duration.ms', value: 12.5 },
      { key: 'retry', value: true },
      { key: 'ids', value: ['u1', 'u2'] },
      { key: 'payload', value: new Uint8Array([222, 173, 190, 239]) },
    ],
    droppedAttributesCount: 0,
    flags: 1,
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    eventName: 'checkout.retry',
  });
  assert.equal(plain!.body, 'plain string body');
  assert.equal(plain!.severityNumber, 9);
  assert.equal(plain!.timeUnixNano, 1_700_000_000_123_456_789n);
  assert.equal(plain!.traceId, '');
  assert.equal(plain!.spanId, '');
  assert.equal(plain!.flags, 0);
}

describe('codec interop with the official OpenTelemetry JS serializers', () => {
  let records: ReadableLogRecord[];
  before(async () => {
    records = await emitRecords();
  });

  it('decodes ProtobufLogsSerializer output field by field', () => {
    const bytes = ProtobufLogsSerializer.serializeRequest(records);
    assert.ok(bytes);
    checkDecoded(decodeLogsProto(bytes));
  });

  it('decodes JsonLogsSerializer output field by field', () => {
    const bytes = JsonLogsSerializer.serializeRequest(records);
    assert.ok(bytes);
    checkDecoded(decodeLogsJson(bytes));
    checkDecoded(decodeLogsJson(Buffer.from(bytes).toString('utf8')));
  });

  it('re-encodes what the official serializers produced without losing a field', () => {
    const decoded = decodeLogsProto(ProtobufLogsSerializer.serializeRequest(records)!);
    checkDecoded(decodeLogsProto(encodeLogsProto(decoded)));
    checkDecoded(decodeLogsJson(encodeLogsJson(decoded)));
  });
});
