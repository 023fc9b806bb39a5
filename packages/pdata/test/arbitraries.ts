import fc from 'fast-check';
import type { AnyValue, KeyValue, LogRecord, LogsData } from '../src/index';

/** fast-check generators for the logs data model, shared by the codec property tests. */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

// Any valid code point (no lone surrogates: UTF-8 cannot carry them), so non-BMP text is covered.
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', 'ü', '日本語', '🙂 emoji'));
// A small key set, so duplicate keys come up often.
const key = fc.oneof(fc.constantFrom('', 'k', 'dup', 'service.name'), text);
const int64 = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.constantFrom(INT64_MIN, INT64_MAX, -1n, 0n, 127n, 128n, 2n ** 32n),
);
const fixed64 = fc.oneof(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.constantFrom(0n, 1n, UINT64_MAX, 1_700_000_000_123_456_789n));
const hexId = (bytes: number) =>
  fc.oneof(
    fc.constant(''),
    fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex')),
  );

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

const logRecord: fc.Arbitrary<LogRecord> = fc.record(
  {
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
  },
  plain,
);

export const logsData: fc.Arbitrary<LogsData> = fc.record(
  {
    resourceLogs: fc.array(
      fc.record(
        {
          resource: fc.record({ attributes, droppedAttributesCount: count }, plain),
          scopeLogs: fc.array(
            fc.record(
              {
                scope: fc.record({ name: text, version: text, attributes, droppedAttributesCount: count }, plain),
                logRecords: fc.array(logRecord, { maxLength: 4 }),
                schemaUrl: text,
              },
              plain,
            ),
            { maxLength: 3 },
          ),
          schemaUrl: text,
        },
        plain,
      ),
      { maxLength: 3 },
    ),
  },
  plain,
);
