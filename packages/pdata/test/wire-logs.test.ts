import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cloneLogsData,
  countLogRecords,
  decodeLogsProto,
  decodeLogsProtoLazily,
  encodeLogsProto,
  forgetWireBytes,
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
});
