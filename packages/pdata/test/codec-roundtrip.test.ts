import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newLogRecord } from '../src/index';
import type { LogRecord, LogsData } from '../src/index';
import { INT64_MAX, INT64_MIN, UINT64_MAX, logsData } from './arbitraries';
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '../src/index';

function single(record: Partial<LogRecord>): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            logRecords: [newLogRecord(record)],
            schemaUrl: '',
          },
        ],
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
        body: {
          kvlist: [
            { key: 'n', value: 5n },
            { key: 'b', value: new Uint8Array([1, 2, 3]) },
            { key: 'd', value: NaN },
          ],
        },
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
