import assert from 'node:assert/strict';
import { newLogRecord, type LogsData } from '@sluice/pdata';
import { encodeFlatLines, formatRfc3339Nano } from '../src/flat';
import { lines, sampleLogs } from './helpers';

describe('flat format', () => {
  it('formats nanosecond times as RFC3339Nano, trimming trailing zeros', () => {
    assert.equal(formatRfc3339Nano(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(formatRfc3339Nano(1_700_000_000_120_000_000n), '2023-11-14T22:13:20.12Z');
    assert.equal(formatRfc3339Nano(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
    assert.equal(formatRfc3339Nano(5n), '1970-01-01T00:00:00.000000005Z');
  });

  it('writes one line per record with the documented fields', () => {
    const logs = sampleLogs(2, {
      resource: [
        { key: 'service.name', value: 'checkout' },
        { key: 'pid', value: 42n },
      ],
    });
    const parsed = lines(encodeFlatLines(logs, 0n)).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(parsed.length, 2);
    assert.deepEqual(parsed[1], {
      time: '2023-11-14T22:13:20.12345679Z',
      time_unix_nano: '1700000000123456790',
      observed_time_unix_nano: '1700000000200000000',
      severity_text: 'INFO',
      severity_number: 9,
      body: 'batch 0 record 1',
      attributes: { index: 1 },
      resource: { 'service.name': 'checkout', pid: 42 },
      scope: { name: 'test-scope', version: '1.2.3' },
      trace_id: '0102030405060708090a0b0c0d0e0f10',
      span_id: '1112131415161718',
    });
    assert.deepEqual(Object.keys(parsed[0]!), Object.keys(parsed[1]), 'field order is stable');
  });

  it('turns AnyValues into plain JSON and keeps every line on one line', () => {
    const logs = sampleLogs(1, {
      record: {
        body: {
          kvlist: [
            { key: 'msg', value: 'two\nlines' },
            { key: 'big', value: 2n ** 63n - 1n },
          ],
        },
        attributes: [
          { key: 'bytes', value: new Uint8Array([1, 2, 3]) },
          { key: 'list', value: [true, 1.5, null] },
        ],
      },
    });
    const text = encodeFlatLines(logs, 0n);
    assert.equal(lines(text).length, 1);
    const line = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(line.body, { msg: 'two\nlines', big: '9223372036854775807' });
    assert.deepEqual(line.attributes, { bytes: 'AQID', list: [true, 1.5, null] });
  });

  it('leaves empty fields out and falls back to the observed time, then the write time', () => {
    const record = newLogRecord({ observedTimeUnixNano: 1_000_000_001n });
    const logs: LogsData = {
      resourceLogs: [
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
          scopeLogs: [
            {
              scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
              logRecords: [record, newLogRecord()],
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    };
    const [first, second] = lines(encodeFlatLines(logs, 3_000_000_000n)).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(first, { time: '1970-01-01T00:00:01.000000001Z', observed_time_unix_nano: '1000000001' });
    assert.deepEqual(second, { time: '1970-01-01T00:00:03Z' });
  });
});
