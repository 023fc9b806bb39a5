import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newLogRecord } from '@sluice/core';
import type { AnyValue, KeyValue, LogRecord, LogsData } from '@sluice/core';
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '../src/index';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

// Any valid code point (no lone surrogates: UTF-8 cannot carry them), so non-BMP text is covered.
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', 'ü', '日本語', '🙂 emoji'));
// A small key set, so duplicate keys come up often.
const key = fc.oneof(fc.constantFrom('', 'k', 'dup', 'service.name'), text);
const int64 = fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(INT64_MIN, INT64_MAX, -1n, 0n, 127n, 128n, 2n ** 32n));
const fixed64 = fc.oneof(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.constantFrom(0n, 1n, UINT64_MAX, 1_700_000_000_123_456_789n));
const hexId = (bytes: number) =>
  fc.oneof(fc.constant(''), fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex')));

// Plain objects, as decoders build them (fast-check may otherwise pick null-prototype records).
const plain = { noNullPrototype: true };

const { anyValue } = fc.letrec<{ anyValue: AnyValue; keyValue: KeyValue }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.boolean(),
    int64,
    fc.double(), // includes NaN, ±Infinity and -0
    fc.uint8Array({ maxLength: 8 }),
    fc.constant(null),
    fc.array(tie('anyValue'), { maxLength: 4 }),
    fc.array(tie('keyValue'), { maxLength: 4 }).map((kvlist) => ({ kvlist })),
  ),
  keyValue: fc.record({ key, value: tie('anyValue') }, plain),
}));
const attributes = fc.array(fc.record({ key, value: anyValue }, plain), { maxLength: 4 });
const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }));

const logRecord: fc.Arbitrary<LogRecord> = fc.record({
  timeUnixNano: fixed64,
  observedTimeUnixNano: fixed64,
  severityNumber: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  severityText: text,
  body: anyValue,
  attributes,
  droppedAttributesCount: count,
  flags: count,
  traceId: hexId(16),
  spanId: hexId(8),
  eventName: text,
}, plain);

const logsData: fc.Arbitrary<LogsData> = fc.record({
  resourceLogs: fc.array(
    fc.record({
      resource: fc.record({ attributes, droppedAttributesCount: count }, plain),
      scopeLogs: fc.array(
        fc.record({
          scope: fc.record({ name: text, version: text, attributes, droppedAttributesCount: count }, plain),
          logRecords: fc.array(logRecord, { maxLength: 4 }),
          schemaUrl: text,
        }, plain),
        { maxLength: 3 },
      ),
      schemaUrl: text,
    }, plain),
    { maxLength: 3 },
  ),
}, plain);

function single(record: Partial<LogRecord>): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        scopeLogs: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [newLogRecord(record)], schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

describe('codec round trips', () => {
  it('proto → model → proto → model loses nothing, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(logsData, (logs) => {
        const bytes = encodeLogsProto(logs);
        const decoded = decodeLogsProto(bytes);
        assert.deepEqual(decoded, logs);
        assert.deepEqual(encodeLogsProto(decoded), bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('json → model → json → model loses nothing, and re-encoding gives the same text', () => {
    fc.assert(
      fc.property(logsData, (logs) => {
        const json = encodeLogsJson(logs);
        assert.ok(!json.includes('\n'));
        const decoded = decodeLogsJson(json);
        assert.deepEqual(decoded, logs);
        assert.equal(encodeLogsJson(decoded), json);
      }),
      { numRuns: 300 },
    );
  });

  it('proto and json carry the same data', () => {
    fc.assert(
      fc.property(logsData, (logs) => {
        assert.deepEqual(decodeLogsJson(encodeLogsJson(decodeLogsProto(encodeLogsProto(logs)))), logs);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps int64 and fixed64 extremes, int vs double, empty values and duplicate keys', () => {
    const logs = single({
      timeUnixNano: UINT64_MAX,
      observedTimeUnixNano: 0n,
      body: {
        kvlist: [
          { key: 'min', value: INT64_MIN },
          { key: 'max', value: INT64_MAX },
          { key: 'one-int', value: 1n },
          { key: 'one-double', value: 1 },
          { key: 'neg-zero', value: -0 },
          { key: 'empty-string', value: '' },
          { key: 'empty-bytes', value: new Uint8Array(0) },
          { key: 'empty-array', value: [] },
          { key: 'empty-map', value: { kvlist: [] } },
          { key: 'empty-value', value: null },
          { key: 'dup', value: 'first' },
          { key: 'dup', value: 'second' },
          { key: '', value: [null, '', 0n, 0, false] },
        ],
      },
    });
    assert.deepEqual(decodeLogsProto(encodeLogsProto(logs)), logs);
    assert.deepEqual(decodeLogsJson(encodeLogsJson(logs)), logs);
  });

  it('writes OTLP/JSON as the spec asks: int64 as strings, hex ids, base64 bytes, defaults left out', () => {
    const json = encodeLogsJson(
      single({
        timeUnixNano: 1_700_000_000_123_456_789n,
        severityNumber: 9,
        body: { kvlist: [{ key: 'n', value: 5n }, { key: 'b', value: new Uint8Array([1, 2, 3]) }, { key: 'd', value: NaN }] },
        traceId: '0af7651916cd43dd8448eb211c80319c',
      }),
    );
    assert.equal(
      json,
      '{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"timeUnixNano":"1700000000123456789","severityNumber":9,' +
        '"body":{"kvlistValue":{"values":[{"key":"n","value":{"intValue":"5"}},{"key":"b","value":{"bytesValue":"AQID"}},' +
        '{"key":"d","value":{"doubleValue":"NaN"}}]}},"traceId":"0af7651916cd43dd8448eb211c80319c"}]}]}]}',
    );
  });

  it('decodes an empty request, and absent resource and scope as empty defaults', () => {
    assert.deepEqual(decodeLogsProto(new Uint8Array(0)), { resourceLogs: [] });
    assert.deepEqual(decodeLogsJson('{}'), { resourceLogs: [] });
    const logs = single({});
    assert.equal(encodeLogsProto(logs).toString('hex'), '0a04' + '1202' + '1200'); // resource_logs { scope_logs { log_records {} } }
    assert.deepEqual(decodeLogsProto(encodeLogsProto(logs)), logs);
    assert.deepEqual(decodeLogsJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}'), logs);
  });
});
