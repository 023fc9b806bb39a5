import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SluiceError } from '@sluice/pdata';
import { binaryLogsCodec } from '../src/exporterhelper/logs-codec';
import type { AnyValue, KeyValue, LogsData } from '@sluice/pdata';

/** Records with ordinary prototypes, like the objects receivers build. */
const rec = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(shape, { noNullPrototype: true });

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });

const { anyValue } = fc.letrec<{ anyValue: AnyValue; keyValue: KeyValue }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    text,
    fc.boolean(),
    fc.double(),
    int64,
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('anyValue'), { maxLength: 3 }),
    rec({ kvlist: fc.array(tie('keyValue'), { maxLength: 3 }) }),
  ),
  keyValue: rec({ key: text, value: tie('anyValue') }),
}));
const attributes = fc.array(rec({ key: text, value: anyValue }), { maxLength: 3 });

const logsData: fc.Arbitrary<LogsData> = rec({
  resourceLogs: fc.array(
    rec({
      resource: rec({ attributes, droppedAttributesCount: uint32 }),
      schemaUrl: text,
      scopeLogs: fc.array(
        rec({
          scope: rec({ name: text, version: text, attributes, droppedAttributesCount: uint32 }),
          schemaUrl: text,
          logRecords: fc.array(
            rec({
              timeUnixNano: uint64,
              observedTimeUnixNano: uint64,
              severityNumber: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
              severityText: text,
              body: anyValue,
              attributes,
              droppedAttributesCount: uint32,
              flags: uint32,
              traceId: fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9a-f]{32}$/)),
              spanId: fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9a-f]{16}$/)),
              eventName: text,
            }),
            { maxLength: 3 },
          ),
        }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 2 },
  ),
});

describe('exporter helper: binary logs codec', () => {
  it('round-trips any LogsData losslessly', () => {
    fc.assert(
      fc.property(logsData, (logs) => {
        assert.deepStrictEqual(binaryLogsCodec.decode(binaryLogsCodec.encode(logs)), logs);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps int 1 and double 1 apart, and -0, NaN and 64-bit extremes intact', () => {
    const body: AnyValue = [1n, 1, -0, NaN, 2n ** 63n - 1n, -(2n ** 63n), { kvlist: [{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }] }];
    const logs: LogsData = {
      resourceLogs: [
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeLogs: [
            {
              scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              logRecords: [
                {
                  timeUnixNano: 2n ** 64n - 1n,
                  observedTimeUnixNano: 0n,
                  severityNumber: 9,
                  severityText: 'INFO',
                  body,
                  attributes: [{ key: 'bytes', value: new Uint8Array([0, 255, 7]) }],
                  droppedAttributesCount: 0,
                  flags: 1,
                  traceId: '',
                  spanId: '',
                  eventName: '',
                },
              ],
            },
          ],
        },
      ],
    };
    const decoded = binaryLogsCodec.decode(binaryLogsCodec.encode(logs));
    assert.deepStrictEqual(decoded, logs);
    const values = decoded.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body as AnyValue[];
    assert.equal(typeof values[0], 'bigint');
    assert.equal(typeof values[1], 'number');
    assert.ok(Object.is(values[2], -0));
  });

  it('rejects truncated or foreign bytes with SLUICE_BAD_DATA', () => {
    const bytes = binaryLogsCodec.encode({ resourceLogs: [{ resource: { attributes: [], droppedAttributesCount: 0 }, schemaUrl: 'x', scopeLogs: [] }] });
    for (const bad of [bytes.subarray(0, bytes.length - 1), new Uint8Array([9, 0, 0]), new Uint8Array([1, 255, 255, 255, 255]), new Uint8Array([])]) {
      assert.throws(() => binaryLogsCodec.decode(bad), (err: SluiceError) => err.code === 'SLUICE_BAD_DATA');
    }
  });
});
