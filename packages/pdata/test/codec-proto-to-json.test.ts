import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodeLogsProto, encodeLogsJson, encodeLogsProto, newLogRecord, transcodeLogsProtoToJson } from '../src/index';
import type { AnyValue, KeyValue, LogRecord, LogsData } from '../src/index';
import { INT64_MAX, INT64_MIN, UINT64_MAX } from './arbitraries';

/** What the transcoder must equal byte for byte: the model path. */
function viaModel(bytes: Uint8Array): Buffer {
  return Buffer.from(encodeLogsJson(decodeLogsProto(bytes)));
}

/** Asserts the transcoder is the model path whenever it answers; returns whether it answered. */
function check(bytes: Uint8Array): boolean {
  const fast = transcodeLogsProtoToJson(bytes);
  if (fast === undefined) return false;
  const expected = viaModel(bytes);
  if (!fast.equals(expected)) assert.equal(fast.toString('latin1'), expected.toString('latin1'));
  return true;
}

function assertTranscoded(bytes: Uint8Array): void {
  assert.ok(check(bytes), `fell back on ${viaModel(bytes).toString()}`);
}

// mulberry32: a seeded generator, so a failure reproduces.
function generator(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTROLS = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join('');
const TEXTS = [
  '',
  'k',
  'service.name',
  'GET /api/v1/items/17 served in 12 ms',
  CONTROLS,
  '"quoted" and \\back\\slashes\\',
  '\u007f\u0080\u00ff',
  'line\u2028separator\u2029paragraph',
  'ü日本語 ÄÖ',
  '🙂 emoji 𝄞',
  '</script>',
  '\uffff\ufffd',
];
const DOUBLES = [
  0,
  -0,
  1,
  -1.5,
  0.1,
  1e21,
  1e-7,
  5e-324,
  Number.MAX_VALUE,
  NaN,
  Infinity,
  -Infinity,
  123456.789,
  // Short ones, written from their digits, up to where that stops (2^50 digits) and past it.
  12.5,
  -0.25,
  0.001,
  -99.999,
  1125899906842.623,
  1125899906842.624,
  4503599627370.495,
  0.30000000000000004,
];
const INTS = [
  0n,
  1n,
  -1n,
  127n,
  128n,
  2n ** 31n,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n,
  INT64_MAX,
  INT64_MAX - 1n,
  INT64_MIN,
  INT64_MIN + 1n,
  -(2n ** 32n),
];
const FIXED64 = [
  0n,
  1n,
  2n ** 53n - 1n,
  2n ** 53n,
  1_700_000_000_123_456_789n,
  9_999_999_999_999_999_999n,
  10_000_000_000_000_000_000n,
  UINT64_MAX,
];

function randomLogs(random: () => number): LogsData {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const count = (max: number): number => Math.floor(random() * (max + 1));
  const text = (): string => {
    if (random() < 0.6) return pick(TEXTS);
    let out = '';
    for (let i = count(12); i > 0; i--)
      out += String.fromCodePoint(random() < 0.8 ? count(0x7f) : random() < 0.5 ? count(0xd7ff) : 0xe000 + count(0x10ffff - 0xe000));
    return out;
  };
  const fixed64 = (): bigint => (random() < 0.7 ? pick(FIXED64) : BigInt(count(2 ** 30)) * BigInt(count(2 ** 30)) * BigInt(count(16)));
  const int64 = (): bigint =>
    random() < 0.6 ? pick(INTS) : BigInt.asIntN(64, BigInt(count(2 ** 32)) * BigInt(count(2 ** 32)) + BigInt(count(2 ** 32)));
  const hex = (bytes: number): string =>
    random() < 0.2 ? '' : Buffer.from(Array.from({ length: bytes }, () => count(255))).toString('hex');
  const anyValue = (depth: number): AnyValue => {
    switch (count(depth > 2 ? 5 : 7)) {
      case 0:
        return text();
      case 1:
        return random() < 0.5;
      case 2:
        return int64();
      case 3:
        return random() < 0.5 ? pick(DOUBLES) : (random() - 0.5) * 10 ** count(30);
      case 4:
        return Uint8Array.from({ length: count(7) }, () => count(255));
      case 5:
        return null;
      case 6:
        return Array.from({ length: count(3) }, () => anyValue(depth + 1));
      default:
        return { kvlist: attributes(depth + 1) };
    }
  };
  const attributes = (depth: number): KeyValue[] => Array.from({ length: count(4) }, () => ({ key: text(), value: anyValue(depth) }));
  const dropped = (): number => (random() < 0.7 ? 0 : pick([1, 127, 128, 0xffffffff]));
  const record = (): LogRecord =>
    newLogRecord({
      timeUnixNano: random() < 0.2 ? 0n : fixed64(),
      observedTimeUnixNano: random() < 0.3 ? 0n : fixed64(),
      severityNumber: random() < 0.2 ? 0 : random() < 0.9 ? count(24) : pick([-1, -(2 ** 31), 2 ** 31 - 1]),
      severityText: random() < 0.5 ? '' : pick(['INFO', 'WARN', 'Error', text()]),
      body: anyValue(0),
      attributes: attributes(0),
      droppedAttributesCount: dropped(),
      flags: random() < 0.5 ? 0 : pick([1, 0x101, 0xffffffff]),
      traceId: hex(16),
      spanId: hex(8),
      eventName: random() < 0.8 ? '' : text(),
    });
  return {
    resourceLogs: Array.from({ length: count(3) }, () => ({
      resource: { attributes: attributes(0), droppedAttributesCount: dropped() },
      scopeLogs: Array.from({ length: count(3) }, () => ({
        scope: {
          name: random() < 0.5 ? '' : text(),
          version: random() < 0.5 ? '' : text(),
          attributes: attributes(1),
          droppedAttributesCount: dropped(),
        },
        logRecords: Array.from({ length: count(4) }, record),
        schemaUrl: random() < 0.5 ? '' : text(),
      })),
      schemaUrl: random() < 0.5 ? '' : text(),
    })),
  };
}

function single(record: Partial<LogRecord>, resourceAttributes: KeyValue[] = []): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: resourceAttributes, droppedAttributesCount: 0 },
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

/** Overwrites, in place, the encoded string `marker` (which must occur once) with `bytes` of the same length. */
function replaceMarker(encoded: Buffer, marker: string, bytes: number[]): Buffer {
  const at = encoded.indexOf(marker);
  assert.ok(at > 0 && encoded.indexOf(marker, at + 1) === -1, `marker ${marker}`);
  assert.equal(bytes.length, Buffer.byteLength(marker));
  Buffer.from(bytes).copy(encoded, at);
  return encoded;
}

/** Changes the tag in front of the length-delimited string `marker` (length below 128) to `tag`. */
function retag(encoded: Buffer, marker: string, tag: number): Buffer {
  const at = encoded.indexOf(marker);
  assert.equal(encoded[at - 1], Buffer.byteLength(marker));
  encoded[at - 2] = tag;
  return encoded;
}

// A minimal protobuf writer for layouts encodeLogsProto never produces.
const varint = (value: number): number[] => {
  const out: number[] = [];
  for (; value > 0x7f; value = Math.floor(value / 128)) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
};
const tag = (field: number, wireType: number): number[] => varint(field * 8 + wireType);
const ld = (field: number, ...parts: number[][]): number[] => {
  const body = parts.flat();
  return [...tag(field, 2), ...varint(body.length), ...body];
};
const str = (field: number, value: string): number[] => ld(field, [...Buffer.from(value)]);
/** One unknown field of each wire type, groups included. */
const unknowns = (field: number): number[] => [
  ...tag(field, 0),
  ...varint(300),
  ...tag(field + 1, 1),
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  ...ld(field + 2, [1, 2, 3]),
  ...tag(field + 3, 5),
  1,
  2,
  3,
  4,
  ...tag(field + 4, 3),
  ...tag(1, 0),
  1,
  ...tag(field + 4, 4),
];
const request = (...resourceLogs: number[][]): Buffer => Buffer.from(resourceLogs.flatMap((rl) => ld(1, rl)));

describe('transcodeLogsProtoToJson', () => {
  it('equals the model path byte for byte on 600 seeded random requests, never falling back', () => {
    const random = generator(20240611);
    for (let i = 0; i < 600; i++) {
      const bytes = encodeLogsProto(randomLogs(random));
      assert.ok(check(bytes), `case ${i} fell back`);
    }
  });

  it('handles the common shapes: string bodies, string/int/bool/double attributes, ASCII and multi-byte text', () => {
    const common = single(
      {
        timeUnixNano: 1_700_000_000_123_456_789n,
        observedTimeUnixNano: 1_700_000_000_223_456_789n,
        severityNumber: 9,
        severityText: 'INFO',
        body: 'GET /checkout 200 – ü日本語 🙂',
        attributes: [
          { key: 'http.method', value: 'GET' },
          { key: 'http.status_code', value: 200n },
          { key: 'cached', value: true },
          { key: 'duration', value: 12.5 },
        ],
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        flags: 1,
      },
      [{ key: 'service.name', value: 'checkout' }],
    );
    assertTranscoded(encodeLogsProto(common));
    assert.equal(transcodeLogsProtoToJson(encodeLogsProto(common), true)!.toString(), `${encodeLogsJson(common)}\n`);
  });

  it('returns lines of their own: the memory it writes into is reused by the next call, whatever its size', () => {
    const random = generator(7);
    const requests = Array.from({ length: 6 }, () => encodeLogsProto(randomLogs(random)));
    // One line far larger than the memory kept between calls, its ids written after the body grew it, then small ones again.
    const ids = { traceId: '0123456789abcdef0123456789abcdef', spanId: 'fedcba9876543210' };
    requests.splice(3, 0, encodeLogsProto(single({ body: 'y'.repeat(3 << 20), ...ids }, [])));
    const lines = requests.map((bytes) => transcodeLogsProtoToJson(bytes, true)!);
    lines.forEach((line, i) => assert.equal(line.toString(), `${encodeLogsJson(decodeLogsProto(requests[i]!))}\n`, `line ${i}`));
  });

  it('writes empty requests, containers and values as the model does', () => {
    const empty: LogsData = { resourceLogs: [] };
    assertTranscoded(encodeLogsProto(empty));
    assertTranscoded(Buffer.alloc(0));
    assertTranscoded(request([])); // a ResourceLogs with nothing: resource and scopeLogs still written
    assertTranscoded(request(ld(2, []))); // a ScopeLogs with nothing
    assertTranscoded(request(ld(2, ld(2, [])))); // an empty record
    // An AnyValue with no member: no body, a KeyValue without value, `{}` in an array.
    assertTranscoded(request(ld(2, ld(2, ld(5, []), ld(6, str(1, 'k'), ld(2, [])), ld(6, ld(2, ld(5, ld(1, []), ld(1, str(1, 'x')))))))));
    // Defaults sent explicitly are left out, as the decoded model cannot tell them from absent ones.
    assertTranscoded(request(ld(2, ld(2, [...tag(1, 1), 0, 0, 0, 0, 0, 0, 0, 0], [...tag(2, 0), 0], str(3, ''), str(12, '')))));
    assertTranscoded(
      encodeLogsProto(
        single({
          body: {
            kvlist: [
              { key: '', value: [] },
              { key: 'm', value: { kvlist: [] } },
              { key: 'b', value: new Uint8Array(0) },
              { key: 's', value: '' },
              { key: 'f', value: false },
              { key: 'z', value: 0n },
              { key: 'd', value: 0 },
            ],
          },
        }),
      ),
    );
  });

  it('copies every escape, number edge and id exactly', () => {
    const kvs: KeyValue[] = [
      ...Array.from({ length: 0x80 }, (_, code) => ({ key: String.fromCharCode(code), value: `a${String.fromCharCode(code)}b` })),
      ...INTS.map((value) => ({ key: 'int', value })),
      ...DOUBLES.map((value) => ({ key: 'double', value })),
      { key: 'bytes', value: Uint8Array.from([0, 0xff, 0xfb, 0xef]) },
    ];
    for (const time of FIXED64) {
      assertTranscoded(
        encodeLogsProto(
          single({
            timeUnixNano: time,
            observedTimeUnixNano: time,
            body: { kvlist: kvs },
            traceId: 'ffffffffffffffffffffffffffffffff',
            spanId: '0000000000000001',
          }),
        ),
      );
    }
    for (let bits = 0; bits < 64; bits++) {
      for (const value of [2n ** BigInt(bits), 2n ** BigInt(bits) - 1n, 10n ** BigInt(Math.min(bits, 19))]) {
        assertTranscoded(
          encodeLogsProto(
            single({ timeUnixNano: value, body: BigInt.asIntN(64, value), attributes: [{ key: 'n', value: -BigInt.asIntN(64, value) }] }),
          ),
        );
      }
    }
  });

  it('writes times that share their milliseconds, and those that do not, each exactly', () => {
    const ms = 1_733_097_600_123n * 1_000_000n;
    const offsets = [0n, 1n, 999_999n, 1_000_000n, 0n, 2_000_000n, 1_999_999n, -1n, 10n ** 12n];
    const big = [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, UINT64_MAX];
    const records = [...offsets.map((offset) => ms + offset), ...big, ms, ...big.reverse()].map((time, i) =>
      newLogRecord({
        timeUnixNano: time,
        observedTimeUnixNano: time + 1_000_000n * BigInt(i % 3),
        body: `line ${i}`,
        attributes: [{ key: 'n', value: BigInt.asIntN(64, time) }],
      }),
    );
    const logs = single({});
    logs.resourceLogs[0]!.scopeLogs[0]!.logRecords = records;
    assertTranscoded(encodeLogsProto(logs));
  });

  it('decodes invalid UTF-8 as the model does (U+FFFD), in bodies, keys and values', () => {
    const invalid = [
      [0xff, 0x41, 0x42, 0x43],
      [0xc0, 0x80, 0x41, 0x42], // overlong
      [0xed, 0xa0, 0x80, 0x41], // a surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x41, 0x42, 0x43, 0xe2], // cut short
      [0x80, 0x22, 0x0a, 0x5c], // a stray continuation byte beside escapes
      [0xe2, 0x82, 0x41, 0x42],
      [0xf0, 0x9f, 0x99, 0x41],
    ];
    for (const bytes of invalid) {
      const logs = single({ body: 'WXYZ', attributes: [{ key: 'KEYS', value: ['VALS'] }] });
      let encoded = encodeLogsProto(logs);
      for (const marker of ['WXYZ', 'KEYS', 'VALS']) encoded = replaceMarker(encoded, marker, bytes);
      assertTranscoded(encoded);
      assert.ok(viaModel(encoded).toString().includes('\ufffd'));
    }
  });

  it('skips unknown fields of every wire type at every level, as the decoder does', () => {
    const known = encodeLogsProto(
      single({ body: 'ANYV', eventName: 'EVNT', attributes: [{ key: 'KEYV', value: 1n }] }, [{ key: 'RATR', value: 'x' }]),
    );
    // Known string fields renamed to unknown numbers: the AnyValue becomes empty, the KeyValue keyless.
    assertTranscoded(retag(retag(retag(retag(Buffer.from(known), 'ANYV', 0x42), 'EVNT', 0x7a), 'KEYV', 0x1a), 'RATR', 0x1a));
    const value = ld(2, str(1, 'v'), unknowns(20));
    const keyValue = [...str(1, 'k'), ...unknowns(20), ...value];
    const anyKvlist = ld(6, ld(1, keyValue), unknowns(20));
    const record = ld(
      2,
      [...tag(1, 1), 1, 0, 0, 0, 0, 0, 0, 0],
      unknowns(13),
      ld(5, unknowns(20), anyKvlist),
      ld(6, keyValue),
      unknowns(20),
    );
    const scope = ld(1, str(1, 'name'), unknowns(10), ld(3, keyValue));
    const scopeLogs = ld(2, scope, unknowns(10), record, str(3, 'https://schema'));
    assertTranscoded(
      Buffer.from([...unknowns(2), ...ld(1, ld(1, ld(1, keyValue), unknowns(10)), unknowns(10), scopeLogs), ...unknowns(2)]),
    );
  });

  it('gives up, rather than differ, on layouts that need protobuf merge rules', () => {
    const layouts = [
      request([...str(3, 'schema'), ...ld(1, [])]), // schemaUrl before resource
      request([...ld(1, []), ...ld(1, [])]), // resource twice: merged
      request(ld(2, ld(2, str(3, 'a'), str(3, 'b')))), // severityText twice: last wins
      request(ld(2, ld(2, ld(6, str(1, 'a')), str(3, 'x'), ld(6, str(1, 'b'))))), // attributes split
      request(ld(2, ld(2, ld(5, str(1, 'a'), [...tag(2, 0), 1])))), // AnyValue with two members
      request(ld(2, ld(2, ld(6, ld(2, str(1, 'v')), str(1, 'k'))))), // value before key
      request(ld(2, ld(2, ld(9, [1, 2, 3])))), // a trace id of the wrong length
      Buffer.from([0x0a, 0x05, 0x0a]), // truncated
      Buffer.from([0x0a]),
    ];
    for (const bytes of layouts) assert.equal(transcodeLogsProtoToJson(bytes), undefined);
    // The first six are valid: the model path handles them.
    for (const bytes of layouts.slice(0, 6)) decodeLogsProto(bytes);
  });

  it('gives up on values nested deeper than the decoder allows, without overflowing the stack', () => {
    let value = ld(1, [...Buffer.from('deep')]);
    for (let i = 0; i < 200; i++) value = ld(5, ld(1, value));
    assert.equal(transcodeLogsProtoToJson(request(ld(2, ld(2, ld(5, value))))), undefined);
  });

  it('writes doubles as JSON.stringify does: short decimals at every scale and size, their neighbours, and the edges of the short path', () => {
    // The short ones are written from their digits (at most 3 decimals, digits below 2^50); the
    // values next to them and past those bounds must still come out as String() writes them.
    const bits = new DataView(new ArrayBuffer(8));
    const step = (value: number, by: bigint): number => {
      bits.setFloat64(0, value);
      bits.setBigInt64(0, bits.getBigInt64(0) + (value < 0 ? -by : by));
      return bits.getFloat64(0);
    };
    const random = generator(20261202);
    const values = [1e21, 999999999999999900000, 1e-7, 1e-6, 1.5e-6, 0.0005, 0.0015, 1.0005, 2 ** 50, 2 ** 53, 2 ** 53 + 2, 1e20, 5e-324];
    for (let scale = 0; scale <= 4; scale++) {
      for (const bound of [2 ** 50, 2 ** 53]) for (let delta = -2; delta <= 1; delta++) values.push((bound + delta) / 10 ** scale);
      for (let i = 0; i < 200; i++) values.push(Math.floor(random() * 2 ** Math.floor(random() * 54)) / 10 ** scale);
    }
    for (let i = 0; i < 300; i++) {
      bits.setUint32(0, Math.floor(random() * 2 ** 32));
      bits.setUint32(4, Math.floor(random() * 2 ** 32));
      values.push(bits.getFloat64(0));
    }
    let checked = 0;
    for (const value of values) {
      for (const double of [value, -value, step(value, 1n), step(value, -1n)]) {
        const bytes = encodeLogsProto(single({ body: double, attributes: [{ key: 'd', value: double }] }));
        assert.ok(check(bytes), `fell back on ${double}`);
        checked++;
      }
    }
    assert.equal(checked, values.length * 4);
  });

  it('lets go of the request when the call returns', async () => {
    // A request whose line is short (an unknown field of 16 MiB beside one record): the memory the
    // line is written in is kept for the next call, and must not keep the request.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const held = ((): WeakRef<ArrayBuffer> => {
      const record = encodeLogsProto(single({ body: 'kept short' }));
      const bytes = Buffer.concat([Buffer.from([...tag(15, 2), ...varint(16 << 20)]), Buffer.alloc(16 << 20), record]);
      assertTranscoded(bytes);
      return new WeakRef(bytes.buffer);
    })();
    // A WeakRef's target lives to the end of the job that made it.
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    assert.equal(held.deref(), undefined, 'the request is still reachable');
  });

  it('reads a Uint8Array that is a view into a larger buffer', () => {
    const bytes = encodeLogsProto(single({ body: 'view' }));
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    assert.equal(transcodeLogsProtoToJson(padded.subarray(5, 5 + bytes.length))!.toString(), encodeLogsJson(decodeLogsProto(bytes)));
  });
});
