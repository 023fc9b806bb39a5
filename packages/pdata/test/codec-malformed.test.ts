import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newLogRecord, SluiceError } from '../src/index';
import type { AnyValue, LogsData } from '../src/index';
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '../src/index';

function logsWith(body: AnyValue, fields: Parameters<typeof newLogRecord>[0] = {}): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'svc' }], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { name: 'scope', version: '', attributes: [], droppedAttributesCount: 0 },
            logRecords: [newLogRecord({ body, ...fields })],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

function record(logs: LogsData) {
  return logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
}

const sample = logsWith(
  {
    kvlist: [
      { key: 'msg', value: 'hello' },
      { key: 'n', value: -5n },
      { key: 'd', value: 2.5 },
      { key: 'b', value: new Uint8Array([1, 2]) },
    ],
  },
  {
    timeUnixNano: 1_700_000_000_000_000_001n,
    severityNumber: 9,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    flags: 1,
  },
);

/** Asserts `fn` throws a SluiceError SLUICE_BAD_DATA whose message matches `message`. */
function assertBadData(fn: () => unknown, message: RegExp | string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
    assert.equal(err.code, 'SLUICE_BAD_DATA');
    if (typeof message === 'string') assert.ok(err.message.includes(message), `message was: ${err.message}`);
    else assert.match(err.message, message);
    return true;
  });
}

/** Decoding either succeeds or fails with SLUICE_BAD_DATA: never another exception type. */
function decodesOrBadData(decode: () => unknown): void {
  try {
    decode();
  } catch (err) {
    assert.ok(err instanceof SluiceError && err.code === 'SLUICE_BAD_DATA', `unexpected ${String(err)}`);
  }
}

function varint(value: number): number[] {
  const out: number[] = [];
  for (; value > 0x7f; value >>>= 7) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
}

/** A length-delimited protobuf field with a one-byte tag. */
function field(tag: number, content: ArrayLike<number>): number[] {
  return [tag, ...varint(content.length), ...Array.from(content)];
}

/** resource_logs { scope_logs { log_records { <record> } } } */
function inRecord(record: number[]): Uint8Array {
  return Uint8Array.from(field(0x0a, field(0x12, field(0x12, record))));
}

describe('codec: malformed protobuf', () => {
  it('reports every truncation of a valid request as bad data', () => {
    const bytes = encodeLogsProto(sample);
    assert.ok(bytes.length > 100);
    for (let cut = 1; cut < bytes.length; cut++) {
      // A cut inside the single resource_logs message always leaves a length running past the end.
      assertBadData(
        () => decodeLogsProto(bytes.subarray(0, cut)),
        /invalid OTLP protobuf: (truncated|length \d+ at byte \d+ runs past the end)/,
      );
    }
  });

  it('names a truncated varint and a length past the end with their byte offsets', () => {
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x0a, 0x80])), 'truncated varint at byte 1');
    assertBadData(
      () => decodeLogsProto(Uint8Array.from([0x0a, 0x05, 0x00])),
      'length 5 at byte 1 runs past the end of its message (byte 3)',
    );
    // A nested length that fits the buffer but not its parent message.
    assertBadData(
      () => decodeLogsProto(Uint8Array.from([0x0a, 0x02, 0x12, 0x03, 0x00, 0x00, 0x00])),
      'length 3 at byte 3 runs past the end of its message (byte 4)',
    );
    assertBadData(() => decodeLogsProto(inRecord([0x09, 1, 2, 3])), 'truncated fixed64 at byte 7');
  });

  it('rejects invalid wire types, and known fields sent with the wrong one', () => {
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x0f])), 'wire type 7 is invalid for field resource_logs at byte 0');
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x0e])), 'wire type 6 is invalid for field resource_logs');
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x08, 0x01])), 'wire type 0 is invalid for field resource_logs at byte 0');
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x7f])), 'wire type 7 is invalid (field 15 at byte 0)');
    assertBadData(() => decodeLogsProto(inRecord([0x0a, 0x00])), 'wire type 2 is invalid for field time_unix_nano at byte 6');
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x00])), 'field number 0 at byte 0');
    assertBadData(() => decodeLogsProto(Uint8Array.from([0x7c])), 'wire type 4 is invalid');
  });

  it('rejects trace and span ids of the wrong length', () => {
    assertBadData(() => decodeLogsProto(inRecord(field(0x4a, [1, 2, 3]))), 'trace_id must be 16 bytes, got 3');
    assertBadData(() => decodeLogsProto(inRecord(field(0x52, [1]))), 'span_id must be 8 bytes, got 1');
  });

  it('refuses to encode 32-bit fields out of range as a bug (SLUICE_INTERNAL naming the field), rather than corrupt the message', () => {
    const cases: Array<[string, (logs: LogsData) => void, string]> = [
      ['logRecord.droppedAttributesCount', (l) => (record(l).droppedAttributesCount = -1), 'logRecord.droppedAttributesCount -1'],
      [
        'logRecord.droppedAttributesCount',
        (l) => (record(l).droppedAttributesCount = 2 ** 33),
        'logRecord.droppedAttributesCount 8589934592',
      ],
      ['logRecord.flags', (l) => (record(l).flags = 2 ** 32), 'logRecord.flags 4294967296'],
      ['logRecord.severityNumber', (l) => (record(l).severityNumber = 2 ** 31), 'logRecord.severityNumber 2147483648'],
      [
        'resource.droppedAttributesCount',
        (l) => (l.resourceLogs[0]!.resource.droppedAttributesCount = 1.5),
        'resource.droppedAttributesCount 1.5',
      ],
      [
        'scope.droppedAttributesCount',
        (l) => (l.resourceLogs[0]!.scopeLogs[0]!.scope.droppedAttributesCount = NaN),
        'scope.droppedAttributesCount NaN',
      ],
    ];
    for (const [name, corrupt, detail] of cases) {
      const logs = logsWith('x');
      corrupt(logs);
      assert.throws(
        () => encodeLogsProto(logs),
        (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_INTERNAL' && err.message.includes(`cannot encode ${detail}`),
        name,
      );
    }
    // The extremes that are in range still encode and come back.
    const logs = logsWith('x', { droppedAttributesCount: 0xffffffff, flags: 0xffffffff, severityNumber: -(2 ** 31) });
    const back = record(decodeLogsProto(encodeLogsProto(logs)));
    assert.deepEqual([back.droppedAttributesCount, back.flags, back.severityNumber], [0xffffffff, 0xffffffff, -(2 ** 31)]);
  });

  it('skips unknown fields of every valid wire type, at every level', () => {
    const unknown = [
      0xf8,
      0x01,
      0x96,
      0x01, // field 31 varint 150
      0xf9,
      0x01,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 31 fixed64
      0xfa,
      0x01,
      0x02,
      0xaa,
      0xbb, // field 31 bytes
      0xfd,
      0x01,
      1,
      2,
      3,
      4, // field 31 fixed32
      0xfb,
      0x01,
      0x08,
      0x01,
      0xfb,
      0x01,
      0xfc,
      0x01,
      0xfc,
      0x01, // field 31 group holding a varint and an empty nested group
    ];
    const plain = encodeLogsProto(sample);
    const decoded = decodeLogsProto(plain);
    // Unknown fields before the known ones at the top level and inside a log record.
    const recordBytes = [0x10, 0x05, ...field(0x2a, field(0x0a, Buffer.from('hi')))]; // severity_number 5, body 'hi'
    const withUnknown = Uint8Array.from([
      ...unknown,
      ...field(0x0a, [...unknown, ...field(0x12, [...unknown, ...field(0x12, [...unknown, ...recordBytes])])]),
    ]);
    assert.deepEqual(
      decodeLogsProto(withUnknown).resourceLogs[0]!.scopeLogs[0]!.logRecords[0],
      newLogRecord({ body: 'hi', severityNumber: 5 }),
    );
    assert.deepEqual(decodeLogsProto(Uint8Array.from([...unknown, ...plain])), decoded);
  });

  it('rejects values nested deeper than 64, without exhausting the stack', () => {
    const nested = (depth: number): AnyValue => {
      let value: AnyValue = 'leaf';
      for (let i = 1; i < depth; i++) value = [value];
      return value;
    };
    assert.deepEqual(decodeLogsProto(encodeLogsProto(logsWith(nested(64)))), logsWith(nested(64)));
    assertBadData(() => decodeLogsProto(encodeLogsProto(logsWith(nested(65)))), 'values nested deeper than 64');
    // A recursion bomb: 100,000 levels of AnyValue { array_value { values { ... } } }, every length valid.
    assertBadData(() => decodeLogsProto(inRecord([...field(0x2a, nestedArrays(100_000))])), 'values nested deeper than 64');
  });

  it('never throws anything but bad data on random bytes or random corruption', () => {
    const valid = encodeLogsProto(sample);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => decodesOrBadData(() => decodeLogsProto(bytes))),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const corrupt = Uint8Array.from(valid);
        corrupt[at] = byte;
        decodesOrBadData(() => decodeLogsProto(corrupt));
      }),
      { numRuns: 2000 },
    );
  });
});

/** The bytes of an AnyValue holding `depth - 1` arrays nested in one another, written from the inside out. */
function nestedArrays(depth: number): Uint8Array {
  const out = Buffer.alloc(depth * 12);
  let start = out.length; // the innermost AnyValue is empty
  const prepend = (tag: number, contentLength: number) => {
    const header = [tag, ...varint(contentLength)];
    start -= header.length;
    out.set(header, start);
  };
  for (let i = 1; i < depth; i++) {
    prepend(0x0a, out.length - start); // ArrayValue.values
    prepend(0x2a, out.length - start); // AnyValue.array_value
  }
  return out.subarray(start);
}

describe('codec: malformed OTLP/JSON', () => {
  const path = 'resourceLogs[0].scopeLogs[0].logRecords[0]';
  const record = (fields: string) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{${fields}}]}]}]}`;

  it('reports invalid JSON and a non-object document', () => {
    assertBadData(() => decodeLogsJson('{"resourceLogs": ['), /^SLUICE_BAD_DATA: invalid JSON: /);
    assertBadData(() => decodeLogsJson(''), 'invalid JSON');
    assertBadData(() => decodeLogsJson('[]'), 'expected an object at the top level, got an array');
    assertBadData(() => decodeLogsJson(Buffer.from([0xff, 0xfe, 0x00])), 'invalid JSON');
  });

  it('names the JSON path of a value of the wrong type', () => {
    const json = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[]},{"logRecords":[{},{},{},{"timeUnixNano":true}]}]}]}`;
    assertBadData(
      () => decodeLogsJson(json),
      'invalid OTLP/JSON: resourceLogs[0].scopeLogs[1].logRecords[3].timeUnixNano: expected an unsigned 64-bit integer, got true',
    );
    assertBadData(() => decodeLogsJson('{"resourceLogs":{}}'), 'resourceLogs: expected an array, got an object');
    assertBadData(() => decodeLogsJson('{"resourceLogs":[1]}'), 'resourceLogs[0]: expected an object, got 1');
    assertBadData(
      () => decodeLogsJson('{"resourceLogs":[{"resource":{"attributes":[{"key":"k","value":{"intValue":"12x"}}]}}]}'),
      'resourceLogs[0].resource.attributes[0].value.intValue: expected a 64-bit integer, got "12x"',
    );
    assertBadData(() => decodeLogsJson(record('"severityText":5')), `${path}.severityText: expected a string, got 5`);
    assertBadData(
      () => decodeLogsJson(record('"severityNumber":"LOUD"')),
      `${path}.severityNumber: expected a severity number or a SEVERITY_NUMBER_* name, got "LOUD"`,
    );
    assertBadData(() => decodeLogsJson(record('"body":"text"')), `${path}.body: expected an object, got "text"`);
    assertBadData(() => decodeLogsJson(record('"body":{"boolValue":"yes"}')), `${path}.body.boolValue: expected true or false, got "yes"`);
    assertBadData(
      () => decodeLogsJson(record('"body":{"arrayValue":{"values":[{"doubleValue":{}}]}}')),
      `${path}.body.arrayValue.values[0].doubleValue: expected a number, got an object`,
    );
    assertBadData(
      () => decodeLogsJson(record('"body":{"kvlistValue":{"values":[{"key":"a","value":{"bytesValue":"!!"}}]}}')),
      `${path}.body.kvlistValue.values[0].value.bytesValue: expected base64 bytes, got "!!"`,
    );
    assertBadData(
      () => decodeLogsJson(record('"body":{"stringValue":"a","intValue":"1"}')),
      `${path}.body.intValue: only one value may be set, but stringValue is set too`,
    );
    assertBadData(() => decodeLogsJson(record('"flags":-1')), `${path}.flags: expected an unsigned 32-bit integer, got -1`);
  });

  it('rejects out-of-range 64-bit integers and bad hex ids', () => {
    assertBadData(
      () => decodeLogsJson(record('"timeUnixNano":"18446744073709551616"')),
      `${path}.timeUnixNano: 18446744073709551616 is out of range`,
    );
    assertBadData(() => decodeLogsJson(record('"timeUnixNano":"-1"')), `${path}.timeUnixNano: -1 is out of range`);
    assertBadData(
      () => decodeLogsJson(record('"body":{"intValue":"9223372036854775808"}')),
      `${path}.body.intValue: 9223372036854775808 is out of range`,
    );
    assertBadData(() => decodeLogsJson(record('"body":{"intValue":1.5}')), `${path}.body.intValue: expected a 64-bit integer, got 1.5`);
    assertBadData(() => decodeLogsJson(record('"traceId":"xyz"')), `${path}.traceId: expected 32 hex characters, got "xyz"`);
    assertBadData(() => decodeLogsJson(record('"traceId":"Cvdl GRbNQ92ESOshHIAxnA=="')), `${path}.traceId: expected 32 hex characters`);
    assertBadData(
      () => decodeLogsJson(record('"spanId":"b7ad6b716920333g"')),
      `${path}.spanId: expected 16 hex characters, got "b7ad6b716920333g"`,
    );
  });

  it('rejects values nested deeper than 64', () => {
    const nested = (depth: number) => '{"arrayValue":{"values":['.repeat(depth - 1) + '{"stringValue":"x"}' + ']}}'.repeat(depth - 1);
    assert.equal(decodeLogsJson(record(`"body":${nested(64)}`)).resourceLogs.length, 1);
    assertBadData(() => decodeLogsJson(record(`"body":${nested(65)}`)), 'values nested deeper than 64');
    assertBadData(() => decodeLogsJson(record(`"body":${nested(100_000)}`)), 'values nested deeper than 64');
  });

  it('accepts what senders write: snake_case, numbers for int64, enum names, uppercase hex, unknown fields', () => {
    const logs = decodeLogsJson(
      '{"resource_logs":[{"resource":{"attributes":[{"key":"k","value":{"int_value":42}}],"unknown":1},"schema_url":"s","scope_logs":[{"scope":{"name":"n"},' +
        '"log_records":[{"time_unix_nano":1700000000000000000,"observed_time_unix_nano":"5","severity_number":"SEVERITY_NUMBER_ERROR2",' +
        '"severity_text":"E","body":{"double_value":"Infinity"},"dropped_attributes_count":"2","trace_id":"0AF7651916CD43DD8448EB211C80319C",' +
        '"span_id":"B7AD6B7169203331","event_name":"ev","future_field":{"x":1},"attributes":[{"key":"b","value":{"bytes_value":"3q2-7w"}},{"key":"e","value":{}}]}]}]}]}',
    );
    assert.deepEqual(logs, {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'k', value: 42n }], droppedAttributesCount: 0 },
          scopeLogs: [
            {
              scope: { name: 'n', version: '', attributes: [], droppedAttributesCount: 0 },
              logRecords: [
                newLogRecord({
                  timeUnixNano: 1_700_000_000_000_000_000n,
                  observedTimeUnixNano: 5n,
                  severityNumber: 18,
                  severityText: 'E',
                  body: Infinity,
                  droppedAttributesCount: 2,
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'b7ad6b7169203331',
                  eventName: 'ev',
                  attributes: [
                    { key: 'b', value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
                    { key: 'e', value: null },
                  ],
                }),
              ],
              schemaUrl: '',
            },
          ],
          schemaUrl: 's',
        },
      ],
    });
  });

  it('skips a leading byte order mark, in a string as in bytes', () => {
    const text = record('"severityText":"E"');
    const expected = decodeLogsJson(text);
    assert.deepEqual(decodeLogsJson(`\ufeff${text}`), expected);
    assert.deepEqual(decodeLogsJson(Buffer.from(`\ufeff${text}`, 'utf8')), expected);
  });

  it('never throws anything but bad data on random JSON', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'medium' }), (text) =>
        decodesOrBadData(() => decodeLogsJson(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[${text}]}]}]}`)),
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => decodesOrBadData(() => decodeLogsJson(text))),
      { numRuns: 500 },
    );
    const valid = encodeLogsJson(sample);
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.string({ maxLength: 2 }), (at, junk) => {
        decodesOrBadData(() => decodeLogsJson(valid.slice(0, at) + junk + valid.slice(at + 1)));
      }),
      { numRuns: 1000 },
    );
  });
});
