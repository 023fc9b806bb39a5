import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLogsJson, encodeLogsJson, SluiceError } from '../src/index';
import type { AnyValue, LogRecord } from '../src/index';
import { exactInteger, NUMBER_MARK, quoteLongNumbers } from '../src/codec/json-exact-numbers';
import { INT64_MAX, INT64_MIN, UINT64_MAX, logsData } from './arbitraries';

/** One record's JSON (fields written as given) inside a full request. */
function request(recordJson: string): string {
  return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${recordJson}]}]}]}`;
}

function decodeRecord(recordJson: string): LogRecord {
  return decodeLogsJson(request(recordJson)).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
}

function bodyOf(valueJson: string): AnyValue {
  return decodeRecord(`{"body":${valueJson}}`).body;
}

function assertBadData(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SluiceError && err.code === 'SLUICE_BAD_DATA', String(err));
    assert.match(err.message, message);
    assert.ok(!err.message.includes(NUMBER_MARK), 'the marker never shows');
    return true;
  });
}

/** protojson writes 64-bit integers as strings; these senders write bare numbers instead. */
function int64sAsNumbers(json: string): string {
  return json.replace(/"(intValue|timeUnixNano|observedTimeUnixNano)":"(-?\d+)"/g, '"$1":$2');
}

describe('OTLP/JSON: 64-bit integers sent as JSON numbers stay exact', () => {
  it('keeps 2^53 + 1, int64 max and min, and uint64 max times exact', () => {
    assert.equal(bodyOf('{"intValue":9007199254740993}'), 9007199254740993n);
    assert.equal(bodyOf('{"intValue":-9007199254740993}'), -9007199254740993n);
    assert.equal(bodyOf(`{"intValue":${INT64_MAX}}`), INT64_MAX);
    assert.equal(bodyOf(`{"int_value":${INT64_MIN}}`), INT64_MIN);
    const record = decodeRecord(`{"timeUnixNano":${UINT64_MAX},"observed_time_unix_nano":1700000000123456789}`);
    assert.equal(record.timeUnixNano, UINT64_MAX);
    assert.equal(record.observedTimeUnixNano, 1700000000123456789n);
  });

  it('reads integer-valued exponent and fraction forms exactly, as protojson does', () => {
    assert.equal(bodyOf('{"intValue":1e18}'), 10n ** 18n);
    assert.equal(bodyOf('{"intValue":9.007199254740993e15}'), 9007199254740993n);
    assert.equal(bodyOf('{"intValue":9007199254740993.000}'), 9007199254740993n);
    assert.equal(decodeRecord('{"timeUnixNano":1.7000000001234567e18}').timeUnixNano, 1700000000123456700n);
  });

  it('keeps doubles doubles and strings untouched on the exact path', () => {
    // The int64 beyond 2^53 sends the whole body down the exact path.
    const record = decodeRecord(
      `{"timeUnixNano":9007199254740993,"attributes":[
        {"key":"d","value":{"doubleValue":0.30000000000000004}},
        {"key":"big","value":{"doubleValue":1.2345678901234567e300}},
        {"key":"s","value":{"stringValue":"id 12345678901234567890 \\\\\\" 98765432109876543210"}}]}`,
    );
    assert.equal(record.timeUnixNano, 9007199254740993n);
    assert.deepEqual(record.attributes, [
      { key: 'd', value: 0.30000000000000004 },
      { key: 'big', value: 1.2345678901234567e300 },
      { key: 's', value: 'id 12345678901234567890 \\" 98765432109876543210' },
    ]);
  });

  it('answers with the field path instead of rounding: out of range, not an integer, a number for a string', () => {
    assertBadData(
      () => bodyOf('{"intValue":9223372036854775808}'),
      /body\.intValue: 9223372036854775808 is out of range for a 64-bit integer/,
    );
    assertBadData(
      () => decodeRecord('{"timeUnixNano":18446744073709551616}'),
      /logRecords\[0\]\.timeUnixNano: 18446744073709551616 is out of range/,
    );
    assertBadData(() => decodeRecord('{"timeUnixNano":-9007199254740993}'), /timeUnixNano: -9007199254740993 is out of range/);
    assertBadData(() => bodyOf('{"intValue":1e300}'), /body\.intValue: .* is out of range/);
    assertBadData(
      () => decodeRecord('{"timeUnixNano":9007199254740993,"body":{"intValue":1.0000000000000001}}'),
      /body\.intValue: expected a 64-bit integer, got 1\.0000000000000001/,
    );
    assertBadData(
      () => decodeRecord('{"timeUnixNano":9007199254740993,"body":{"stringValue":12345678901234567}}'),
      /body\.stringValue: expected a string, got 12345678901234567/,
    );
    assertBadData(
      () => decodeRecord('{"timeUnixNano":9007199254740993,"severityNumber":12345678901234567}'),
      /severityNumber: expected a severity number .*, got 12345678901234567/,
    );
  });

  it('round-trips any data with every int64 written as a bare JSON number', () => {
    fc.assert(
      fc.property(logsData, (logs) => {
        assert.deepEqual(decodeLogsJson(int64sAsNumbers(encodeLogsJson(logs).toString())), logs);
      }),
      { numRuns: 200 },
    );
  });

  it('quoteLongNumbers rewrites long number tokens only, never inside strings', () => {
    const text = '{"a":"x\\"12345678901234567","b":[12345678901234567,-1.5e-300,123],"c":1234567890123456}';
    assert.equal(
      quoteLongNumbers(text),
      `{"a":"x\\"12345678901234567","b":["${NUMBER_MARK}12345678901234567",-1.5e-300,123],"c":"${NUMBER_MARK}1234567890123456"}`,
    );
    assert.equal(quoteLongNumbers('{"a":"\\\\","b":12345678901234567}'), `{"a":"\\\\","b":"${NUMBER_MARK}12345678901234567"}`);
  });

  it('exactInteger reads decimal text exactly and refuses fractions', () => {
    assert.equal(exactInteger('9223372036854775807'), INT64_MAX);
    assert.equal(exactInteger('-0.0e5'), 0n);
    assert.equal(exactInteger('1.5e1'), 15n);
    assert.equal(exactInteger('150e-1'), 15n);
    assert.equal(exactInteger('1.5'), undefined);
    assert.equal(exactInteger('1e+21'), 10n ** 21n);
    assert.ok(exactInteger('1e999999999')! > UINT64_MAX, 'a huge exponent is out of every range, without building the number');
    assert.ok(exactInteger('-1e999999999')! < INT64_MIN);
  });
});
