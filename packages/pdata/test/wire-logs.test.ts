import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cloneLogsData,
  countLogRecords,
  decodeLogsProto,
  decodeLogsProtoLazily,
  decodeLogsProtoRequest,
  encodeLogsProto,
  forgetWireBytes,
  forwardableWireBytesOf,
  newLogRecord,
  scanLogsProto,
  wireBytesOf,
  type LogsData,
} from '../src/index';
import { logsData } from './arbitraries';

/** What a call did: its result, or the message of what it threw. */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; message: string } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** A few bytes of damage: a byte changed, bytes cut, or bytes inserted, at a position picked by the fuzzer. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function damaged(bytes: Uint8Array, steps: ReadonlyArray<{ kind: 'set' | 'cut' | 'insert'; at: number; byte: number }>): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const { kind, at, byte } of steps) {
    if (out.length === 0) break;
    const i = at % out.length;
    if (kind === 'set') out[i] = byte;
    else if (kind === 'cut') out = out.subarray(0, i);
    else out = Uint8Array.from([...out.subarray(0, i), byte, ...out.subarray(i)]);
  }
  return out;
}

function sampleLogs(): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'svc' }], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
            logRecords: [newLogRecord({ body: 'one' }), newLogRecord({ body: 'two', attributes: [{ key: 'k', value: 1n }] })],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

describe('wire logs: checked and counted now, decoded on first read', () => {
  it('scan accepts exactly what decode accepts, with the same error, and counts what decode builds', () => {
    fc.assert(
      fc.property(logsData, fc.array(damage, { maxLength: 3 }), (logs, steps) => {
        const bytes = damaged(encodeLogsProto(logs), steps);
        const decoded = outcome(() => decodeLogsProto(bytes));
        const scanned = outcome(() => scanLogsProto(bytes));
        const strict = outcome(() => scanLogsProto(bytes, { forwarding: true }));
        assert.deepEqual(
          strict.ok ? { ...strict.value, forwardable: false } : strict,
          scanned.ok ? { ...scanned.value, forwardable: false } : scanned,
          'checking strings changes nothing else',
        );
        assert.equal(
          scanned.ok,
          decoded.ok,
          `scan ${scanned.ok ? 'accepted' : 'refused'} what decode ${decoded.ok ? 'accepted' : 'refused'}`,
        );
        if (!scanned.ok || !decoded.ok) {
          assert.equal((scanned as { message: string }).message, (decoded as { message: string }).message);
          return;
        }
        assert.equal(scanned.value.logRecords, countLogRecords(decoded.value));
        assert.equal(scanned.value.resourceLogs, decoded.value.resourceLogs.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes on first read to what decodeLogsProto builds, and keeps the bytes for wireBytesOf', () => {
    const bytes = encodeLogsProto(sampleLogs());
    const { logs, logRecords, resourceLogs } = decodeLogsProtoLazily(bytes);
    assert.equal(logRecords, 2);
    assert.equal(resourceLogs, 1);
    assert.equal(countLogRecords(logs), 2);
    assert.equal(wireBytesOf(logs), bytes);
    assert.deepEqual(logs.resourceLogs, sampleLogs().resourceLogs);
    assert.equal(logs.resourceLogs, logs.resourceLogs, 'decoded once, then the same objects');
    assert.equal(wireBytesOf(logs), bytes, 'reading does not drop the bytes');
    assert.equal(wireBytesOf(cloneLogsData(logs)), undefined, 'a copy is new data, without bytes');
    assert.equal(wireBytesOf(sampleLogs()), undefined);
  });

  it('refuses malformed bytes at once, with the decoder’s message', () => {
    assert.throws(() => decodeLogsProtoLazily(Uint8Array.from([0x0a, 0x05, 0x00])), /length 5 at byte 1 runs past the end/);
  });

  it('forgets the bytes, and counts by walking, once the data may change', () => {
    const { logs } = decodeLogsProtoLazily(encodeLogsProto(sampleLogs()));
    forgetWireBytes(logs);
    assert.equal(wireBytesOf(logs), undefined);
    logs.resourceLogs[0]!.scopeLogs[0]!.logRecords.pop();
    assert.equal(countLogRecords(logs), 1, 'the count follows the changed data');

    const replaced = decodeLogsProtoLazily(encodeLogsProto(sampleLogs())).logs;
    replaced.resourceLogs = [];
    assert.equal(wireBytesOf(replaced), undefined, 'assigning resourceLogs forgets the bytes');
    assert.equal(countLogRecords(replaced), 0);
  });

  it('forwards as they are only bytes every protobuf parser reads as Sluice does', () => {
    const plain = encodeLogsProto(sampleLogs());
    assert.equal(forwardableWireBytesOf(decodeLogsProtoLazily(plain).logs), plain);

    // Not UTF-8 in a body: Sluice reads U+FFFD, other parsers refuse the request.
    const badBody = Buffer.from(plain);
    badBody.set([0xff, 0xfe, 0xc3], badBody.indexOf('two'));
    const lazily = decodeLogsProtoLazily(badBody).logs;
    assert.equal(forwardableWireBytesOf(lazily), undefined);
    assert.equal(wireBytesOf(lazily), badBody, 'a transcoder, which reads the bytes as Sluice does, still has them');

    // The same bytes in a bytes value, and multi-byte text, are fine.
    const withBytes = sampleLogs();
    withBytes.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes.push({ key: 'raw', value: Uint8Array.from([0xff, 0xfe, 0xc3]) });
    withBytes.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body = 'ünïcødé 🙂';
    withBytes.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.severityNumber = -1; // a ten-byte varint, legitimately
    const encoded = encodeLogsProto(withBytes);
    assert.equal(forwardableWireBytesOf(decodeLogsProtoLazily(encoded).logs), encoded);

    // A tag whose varint has bits beyond 32: Sluice keeps the low 32, other parsers refuse it.
    const wideTag = Buffer.concat([Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10]), plain.subarray(1)]);
    assert.equal(forwardableWireBytesOf(decodeLogsProtoLazily(wideTag).logs), undefined);
  });

  // Review: hand-built bytes. A length-delimited field: tag, length, bytes.
  const field = (tag: number, ...parts: (number[] | Buffer)[]): Buffer => {
    const body = Buffer.concat(parts.map((part) => Buffer.from(part)));
    assert.ok(body.length < 128);
    return Buffer.concat([Buffer.from([tag, body.length]), body]);
  };

  it('does not forward invalid UTF-8 in Resource.entity_refs, a string field upstream parsers know (field 3, skipped here as unknown)', () => {
    // EntityRef { type (field 2, string) = 0xff }: a proto3 string that is not UTF-8.
    const entityRef = field(0x12, [0xff]);
    const resource = Buffer.concat([
      field(0x0a, field(0x0a, Buffer.from('service.name')), field(0x12, field(0x0a, Buffer.from('svc')))),
      field(0x1a, entityRef),
    ]);
    const record = field(0x2a, field(0x0a, Buffer.from('hello')));
    const bytes = field(0x0a, field(0x0a, resource), field(0x12, field(0x12, record)));
    assert.equal(decodeLogsProto(bytes).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body, 'hello');
    // A parser that knows entity_refs (Go, Java with the current opentelemetry-proto) refuses the whole request.
    assert.equal(forwardableWireBytesOf(decodeLogsProtoLazily(bytes).logs), undefined);
  });

  it('does not forward a LogRecord whose body is sent twice: protobuf merges the two messages, Sluice keeps the last', () => {
    const record = Buffer.concat([field(0x2a, field(0x0a, Buffer.from('secret'))), field(0x2a)]);
    const bytes = field(0x0a, field(0x12, field(0x12, record)));
    // Sluice (and so the Loki and file exporters) reads no body; a merging parser (Go) reads "secret".
    assert.equal(decodeLogsProto(bytes).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body, null);
    assert.equal(forwardableWireBytesOf(decodeLogsProtoLazily(bytes).logs), undefined);
  });

  it('lets go of the bytes once decoded data no longer matches them', () => {
    const { logs } = decodeLogsProtoLazily(encodeLogsProto(sampleLogs()));
    assert.ok(logs.resourceLogs.length === 1);
    forgetWireBytes(logs);
    assert.equal((logs as unknown as { bytes: unknown }).bytes, undefined, 'nothing keeps the request body alive');
  });

  it('finds a byte that is not UTF-8 at any position of a string, wherever the request sits in its buffer', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (text, at, offset, damage) => {
          const logs = sampleLogs();
          logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[1]!.body = `<${text}>`;
          const encoded = encodeLogsProto(logs);
          const start = encoded.indexOf(Buffer.from(`<${text}>`));
          const length = Buffer.byteLength(`<${text}>`);
          if (damage) encoded[start + (at % length)] = 0xff; // never valid in UTF-8
          // The same bytes at an offset of 0..7 in a larger buffer: the word-at-a-time check must not depend on alignment.
          const holder = Buffer.alloc(encoded.length + 16);
          encoded.copy(holder, offset);
          const view = holder.subarray(offset, offset + encoded.length);
          const forwardable = forwardableWireBytesOf(decodeLogsProtoLazily(view).logs) !== undefined;
          assert.equal(forwardable, !damage);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes a request at once, without the scan, when nothing downstream uses its bytes', () => {
    const bytes = encodeLogsProto(sampleLogs());
    const now = decodeLogsProtoRequest(bytes, false);
    assert.equal(wireBytesOf(now.logs), undefined);
    assert.deepEqual(now.logs, sampleLogs(), 'plain model data');
    assert.deepEqual([now.logRecords, now.resourceLogs], [2, 1]);
    const later = decodeLogsProtoRequest(bytes, true);
    assert.equal(wireBytesOf(later.logs), bytes);
    assert.deepEqual([later.logRecords, later.resourceLogs], [2, 1]);
    assert.throws(() => decodeLogsProtoRequest(Uint8Array.from([0x0a, 0x05, 0x00]), false), /runs past the end/);
  });
});
