import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  MAX_DEPTH,
  decodeLogsProto,
  decodeLogsProtoLazily,
  encodeLogsProto,
  forwardableWireBytesOf,
  newLogRecord,
  type AnyValue,
  type KeyValue,
  type LogRecord,
  type LogsData,
} from '@sluice/pdata';
import { resolveMappingOptions, type MappingSettings } from '../src';
import { pushFragments } from '../src/push-fragments';
import { wirePushFragments } from '../src/wire-push';
import { T0, kv } from './helpers';

const MAX = 5 << 20;

/**
 * The model path's fragments and the transcoder's for the same bytes; the transcoder's, when it
 * answers, must be identical: checking strings itself, and, when the receiver's scan finds them
 * all valid UTF-8, trusting that.
 */
function compare(bytes: Uint8Array, settings: MappingSettings, receiveTimeNs = T0 + 999n, maxRequestBytes = MAX): boolean {
  const options = resolveMappingOptions(settings);
  const expected = pushFragments(decodeLogsProto(bytes), options, receiveTimeNs, { encoding: 'protobuf', maxRequestBytes });
  const actual = wirePushFragments(bytes, options, receiveTimeNs, maxRequestBytes);
  if (forwardableWireBytesOf(decodeLogsProtoLazily(bytes).logs) !== undefined) {
    assert.deepEqual(wirePushFragments(bytes, options, receiveTimeNs, maxRequestBytes, undefined, true), actual);
  }
  if (actual === undefined) return false;
  assert.deepEqual(actual, expected);
  return true;
}

/**
 * Array-buffer memory still held after `run` and a collection: what the transcoder keeps between
 * calls. Array buffers are freed a little after the collection that finds them dead, hence the rounds.
 */
async function arrayBuffersKeptAfter(run: () => void): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().arrayBuffers;
  run();
  let kept = Infinity;
  for (let round = 0; round < 5 && kept >= KEPT_BOUND; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    kept = process.memoryUsage().arrayBuffers - before;
  }
  return kept;
}

/** Below what a leak keeps in the tests that measure it, with room for what other tests in this process allocate meanwhile. */
const KEPT_BOUND = 8 << 20;

function logs(resources: { attributes: Record<string, AnyValue>; scopes: Partial<LogRecord>[][] }[]): LogsData {
  return {
    resourceLogs: resources.map(({ attributes, scopes }) => ({
      resource: { attributes: kv(attributes), droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: scopes.map((records, i) => ({
        scope: { name: `scope-${i}`, version: '1', attributes: [], droppedAttributesCount: 0 },
        logRecords: records.map((fields) => newLogRecord(fields)),
        schemaUrl: '',
      })),
    })),
  };
}

/** Seven bytes that are not UTF-8, swapped in for every `BADBYTE` after encoding (same length, so framing holds). */
const MARKER = Buffer.from('BADBYTE');
const INVALID = Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xe2]);

function withInvalidUtf8(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(MARKER); at >= 0; at = out.indexOf(MARKER, at + 1)) INVALID.copy(out, at);
  return out;
}

/** A hand-made protobuf field: its one-byte tag, its length as a varint, its bytes. */
function field(tag: number, bytes: Buffer): Buffer {
  const length: number[] = [];
  for (let n = bytes.length; n >= 0x80; n >>>= 7) length.push((n & 0x7f) | 0x80);
  length.push(bytes.length >>> (7 * length.length));
  return Buffer.concat([Buffer.from([tag, ...length]), bytes]);
}

/** A request of one resource and one scope holding these LogRecords' bytes. */
function requestOf(records: Buffer[]): Buffer {
  return field(0x0a, field(0x12, Buffer.concat(records.map((record) => field(0x12, record)))));
}

/** A record attribute of a key and an AnyValue's bytes, as a LogRecord field. */
function attributeField(key: string | Buffer, value: Buffer): Buffer {
  return field(0x32, Buffer.concat([field(0x0a, Buffer.from(key)), field(0x12, value)]));
}

/** mulberry32: a small seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  '',
  'plain',
  'GET /api/v1/orders/12345 completed with status 200 in 35ms',
  'x'.repeat(300),
  'héllo wörld',
  '日本語のログ行',
  'emoji 😀 and more 🎉',
  '\uFEFFstarts with a BOM',
  'quotes " and \\ backslash\nnew line\ttab',
  'control \u0001\u001f chars',
  'BADBYTE',
  'prefix BADBYTE suffix that is long enough for the native paths',
  'ünïcödé '.repeat(20),
];
const KEYS = [
  'http.method',
  'user.id',
  'thread-name',
  '1st',
  'ключ',
  'a b',
  'trace_id',
  'BADBYTE.key',
  'k',
  'service.name',
  'x.'.repeat(20),
];
const RARE_KEYS = ['loki.tenant', 'loki.format', 'loki.attribute.labels', 'loki.resource.labels', 'loki.other'];

describe('wirePushFragments', () => {
  it('gives the model path’s fragments, byte for byte, over many generated requests', () => {
    const next = random(20240611);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const value = (depth = 0): AnyValue => {
      const roll = next();
      if (roll < 0.55) return pick(STRINGS);
      if (roll < 0.65) return pick([0n, 7n, -42n, 9_007_199_254_740_993n, -(2n ** 63n)]);
      if (roll < 0.7) return next() < 0.5;
      if (roll < 0.76) return pick([0, 1.5, -0, 1e21, 3.14159, Number.NaN, Infinity]);
      if (roll < 0.8) return new Uint8Array([0, 1, 2, 255]);
      if (roll < 0.85 && depth < 2) return [value(depth + 1), value(depth + 1)];
      if (roll < 0.9 && depth < 2) return { kvlist: [{ key: pick(KEYS), value: value(depth + 1) }] };
      return null;
    };
    const attributes = (rare: number): Record<string, AnyValue> => {
      const out: Record<string, AnyValue> = {};
      const count = Math.floor(next() * 5);
      for (let i = 0; i < count; i++) out[next() < rare ? pick(RARE_KEYS) : pick(KEYS)] = value();
      return out;
    };
    const time = (): bigint => (next() < 0.25 ? 0n : T0 + BigInt(Math.floor(next() * 1e6)) * pick([1n, 1000n, 1_000_000_000n]));
    const record = (): Partial<LogRecord> => ({
      timeUnixNano: time(),
      observedTimeUnixNano: time(),
      severityNumber: pick([0, 0, 1, 5, 9, 9, 13, 17, 21, 24, 30]),
      severityText: pick(['', 'INFO', 'Warning', 'BADBYTE', 'ÉRREUR']),
      body: next() < 0.8 ? pick(STRINGS) : value(),
      attributes: kv(attributes(0.03)),
      droppedAttributesCount: pick([0, 0, 3]),
      flags: pick([0, 1]),
      traceId: next() < 0.5 ? '0123456789abcdef0123456789abcdef' : '',
      spanId: next() < 0.5 ? 'fedcba9876543210' : '',
      eventName: pick(['', 'event']),
    });
    const settings: MappingSettings[] = [
      { format: 'raw' },
      { format: 'raw', tenantId: 'team-a' },
      { format: 'raw', structuredMetadata: false },
      { format: 'raw', staticLabels: { env: 'prod', 'cluster.name': 'BADBYTE "quoted"' } },
      { format: 'raw', defaultResourceLabels: false },
      { format: 'raw', resourceLabels: { 'http.method': null, 'k8s.pod.name': 'pod' } },
      { format: 'raw', attributeLabels: { 'http.method': null } },
      { format: 'raw', levelLabel: true },
      { format: 'raw', metadataAttributes: ['user.id'] },
      { format: 'json' },
      { format: 'logfmt' },
    ];
    let taken = 0;
    let takenWithInvalid = 0;
    const cases = 600;
    for (let n = 0; n < cases; n++) {
      const resources = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const resource = attributes(0.05);
        if (next() < 0.7) resource['service.name'] = pick(['checkout', 'BADBYTE', 'ßervice', '']);
        if (next() < 0.3) resource['service.namespace'] = pick(['shop', 'x']);
        if (next() < 0.2) resource['k8s.pod.name'] = pick(STRINGS);
        const scopes = Array.from({ length: Math.floor(next() * 3) }, () => Array.from({ length: Math.floor(next() * 6) }, record));
        return { attributes: resource, scopes };
      });
      const encoded = encodeLogsProto(logs(resources));
      const bytes = next() < 0.3 ? withInvalidUtf8(encoded) : encoded;
      const maxRequestBytes = next() < 0.15 ? pick([1, 200, 2000]) : MAX;
      const answered = compare(bytes, pick(settings), T0 + BigInt(Math.floor(next() * 1e12)), maxRequestBytes);
      if (answered) taken++;
      if (answered && bytes !== encoded && bytes.includes(INVALID)) takenWithInvalid++;
    }
    // Not a test that passes by always falling back: most raw-format cases are the transcoder's.
    assert.ok(taken > cases / 4, `transcoder answered ${taken} of ${cases}`);
    assert.ok(takenWithInvalid > 10, `transcoder answered ${takenWithInvalid} requests with invalid UTF-8`);
  });

  it('answers the common case itself: string bodies, string and int attributes, raw lines', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      timeUnixNano: T0 + BigInt(i),
      severityNumber: 9,
      severityText: 'INFO',
      body: `request ${i} done`,
      traceId: '0123456789abcdef0123456789abcdef',
      spanId: '0123456789abcdef',
      attributes: kv({ 'http.method': 'GET', 'http.status_code': 200n, 'user.id': `u${i}` }),
    }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'orders', 'host.name': 'node-1' }, scopes: [records] }]));
    for (const settings of [{ format: 'raw' }, { format: 'raw', tenantId: 't' }, { format: 'raw', structuredMetadata: false }] as const) {
      assert.ok(compare(bytes, settings), JSON.stringify(settings));
    }
  });

  it('writes ints, bools and doubles as the model path does, at the edges of the in-place reading', () => {
    const ints = [
      0n,
      1n,
      127n,
      128n,
      2n ** 31n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 63n - 1n,
      -1n,
      -(2n ** 53n),
      -(2n ** 63n),
    ];
    const doubles = [0, -0, 1.5, -2.25, 0.1 + 0.2, 1e21, 1e-7, 123.456, 2 ** 53, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE];
    const values: AnyValue[] = [...ints, ...doubles, true, false];
    const records = values.map((value, i) => ({ body: value, timeUnixNano: T0 + BigInt(i), attributes: kv({ v: value, n: BigInt(i) }) }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }]));
    assert.ok(compare(bytes, { format: 'raw' }));
    // A bool as a longer varint, and an AnyValue of several fields (the last wins): the decoder's reading.
    const bool = Buffer.from([0x10, 0x80, 0x01]);
    const twoFields = Buffer.concat([Buffer.from([0x0a, 0x01, 0x78]), Buffer.from([0x18, 0x05])]);
    for (const anyValue of [bool, twoFields]) {
      const record = Buffer.concat([Buffer.from([0x2a, anyValue.length]), anyValue]);
      const scope = Buffer.concat([Buffer.from([0x12, record.length]), record]);
      const resourceLogs = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
      assert.ok(compare(Buffer.concat([Buffer.from([0x0a, resourceLogs.length]), resourceLogs]), { format: 'raw' }));
    }
  });

  it('writes each attribute kind as the model path does when keys repeat record after record (the in-place pair)', () => {
    // Keys repeat at the same index in every record, so after the first record each pair may be
    // written in one pass; values at and past that path's edges (one-byte lengths, ASCII, safe
    // ints, short doubles, plain bools) must come out the same either way.
    const values: AnyValue[] = [
      '',
      'a',
      'GET',
      'x'.repeat(100),
      'x'.repeat(119),
      'x'.repeat(125),
      'x'.repeat(126),
      'x'.repeat(200),
      'ünï',
      'plain then ü',
      'BADBYTE',
      0n,
      127n,
      128n,
      2n ** 53n - 1n,
      2n ** 53n,
      -1n,
      12.5,
      -0,
      -2.25,
      0.1 + 0.2,
      1e21,
      Number.NaN,
      true,
      false,
      null,
      [1n, 'a'],
      new Uint8Array([1, 2]),
    ];
    const keys = ['k', 'http.status_code', '', 'ключ', 'long.'.repeat(22), 'a-b'];
    const records = Array.from({ length: 3 * values.length }, (_, i) => ({
      body: `line ${i}`,
      timeUnixNano: T0 + BigInt(i),
      attributes: keys.map((key, k) => ({ key, value: values[(i + 7 * k) % values.length]! })),
    }));
    const bytes = withInvalidUtf8(encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }])));
    assert.ok(compare(bytes, { format: 'raw' }));
    // Its share of the size estimate: the split falls where the model path's does.
    const [whole] = pushFragments(decodeLogsProto(bytes), resolveMappingOptions({ format: 'raw' }), T0, {
      encoding: 'protobuf',
      maxRequestBytes: MAX,
    });
    for (let max = whole!.body.length - 300; max < whole!.body.length + 300; max += 7) compare(bytes, { format: 'raw' }, T0, max);
  });

  it('trusts the receiver’s UTF-8 check only for a request it found valid', () => {
    const options = resolveMappingOptions({ format: 'raw' });
    const settings = { encoding: 'protobuf' as const, maxRequestBytes: MAX };
    // Bad bytes in a short and a long body and attribute value: each is written as the decoder reads it (U+FFFD).
    const long = `${'x'.repeat(40)}BADBYTE`;
    const records = ['BADBYTE', long, 'fine'].map((text, i) => ({
      body: text,
      timeUnixNano: T0 + BigInt(i),
      attributes: [{ key: 'k', value: i === 2 ? 'ok' : text }],
    }));
    const bytes = withInvalidUtf8(encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }])));
    const received = decodeLogsProtoLazily(bytes).logs;
    assert.equal(forwardableWireBytesOf(received), undefined);
    const expected = pushFragments(decodeLogsProto(bytes), options, T0, settings);
    assert.deepEqual(pushFragments(received, options, T0, settings), expected);
    // A valid request takes the trusting path, with the same result.
    const valid = encodeLogsProto(
      logs([{ attributes: { 'service.name': 'a' }, scopes: [records.map((r) => ({ ...r, body: `ok ${long}` }))] }]),
    );
    const validReceived = decodeLogsProtoLazily(valid).logs;
    assert.notEqual(forwardableWireBytesOf(validReceived), undefined);
    assert.deepEqual(pushFragments(validReceived, options, T0, settings), pushFragments(decodeLogsProto(valid), options, T0, settings));
  });

  it('reads a value in place only when it is one whole field, as the decoder reads it', () => {
    const double = Buffer.alloc(9);
    double[0] = 0x21;
    double.writeDoubleLE(1.5, 1);
    const then = (value: Buffer, next: Buffer) => Buffer.concat([value, next]);
    const stringX = Buffer.from([0x0a, 0x01, 0x78]);
    // Any set bit is true; an int or a double followed by another field loses to it.
    const taken = [Buffer.from([0x10, 0x02]), Buffer.from([0x10, 0x7f]), then(double, stringX), then(Buffer.from([0x18, 0x05]), stringX)];
    // Varints and a double cut short inside the AnyValue.
    const refused = [Buffer.from([0x10, 0x80]), Buffer.from([0x18, 0x80]), double.subarray(0, 8)];
    for (const value of [...taken, ...refused]) {
      // The first record sees the key, so the second's attribute is read in place.
      const records = [attributeField('k', Buffer.from([0x10, 0x01])), attributeField('k', value)];
      const bytes = requestOf(records.map((attribute) => Buffer.concat([field(0x2a, stringX), attribute])));
      const bodyOnly = requestOf([field(0x2a, value)]);
      if (taken.includes(value)) {
        assert.ok(compare(bytes, { format: 'raw' }), value.toString('hex'));
        assert.ok(compare(bodyOnly, { format: 'raw' }), value.toString('hex'));
        // A json line leaves an AnyValue of two fields to the model path.
        for (const request of [bytes, bodyOnly]) compare(request, { format: 'json' });
      } else {
        for (const request of [bytes, bodyOnly]) {
          assert.throws(() => decodeLogsProto(request));
          for (const format of ['raw', 'json'] as const) {
            assert.equal(
              wirePushFragments(request, resolveMappingOptions({ format }), T0, MAX),
              undefined,
              `${value.toString('hex')} ${format}`,
            );
          }
        }
      }
    }
  });

  it('reads a key whose length takes two bytes as the decoder does, even when its second byte and the bytes after it would pass for the one-byte layout', () => {
    // The key's length is 0x80 0x01 (128); read as one byte, 0x80, the "key" would start at the
    // 0x01 and end before the real key's last byte, 0x12, which would pass for the value's tag.
    const keyText = 'é'.repeat(63) + 'a';
    const key = Buffer.concat([Buffer.from(keyText), Buffer.from([0x12])]);
    assert.equal(key.length, 128);
    // After the key: the value (ten bytes of bools, the last wins), then an unknown field the
    // decoder skips; all ASCII, so that read one byte early they would pass for a string.
    const value = Buffer.from([0x10, 0x01, 0x10, 0x00, 0x10, 0x01, 0x10, 0x00, 0x10, 0x01]);
    const keyValue = Buffer.concat([field(0x0a, key), field(0x12, value), field(0x1a, Buffer.from('abcde'))]);
    // The earlier record's key is the bytes the one-byte reading would take for this one's, with a
    // short label name (a pair under 128 bytes).
    const seen = attributeField(Buffer.concat([Buffer.from([0x01]), Buffer.from(keyText)]), Buffer.from([0x10, 0x01]));
    const body = field(0x2a, Buffer.from([0x0a, 0x01, 0x78]));
    const bytes = requestOf([Buffer.concat([body, seen]), Buffer.concat([body, field(0x32, keyValue)])]);
    assert.ok(compare(bytes, { format: 'raw' }));
    // A json line leaves a KeyValue with an unknown field to the model path.
    compare(bytes, { format: 'json' });
  });

  it('does not take a key for the last request’s at the same index and place', () => {
    // Keys seen are kept between requests, as copies: two requests alike but for a key of the same
    // length, the second's lying where the first's did, must each get their own name.
    const request = (key: string) =>
      encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [[{ body: 'x', attributes: kv({ [key]: 'v' }) }]] }]));
    for (const key of ['a', 'b']) assert.ok(compare(request(key), { format: 'raw' }), key);
  });

  it('writes pairs read in place across the growth of its scratch', () => {
    // Entries that are nearly all such pairs, of shifting lengths, in a request larger than the
    // scratch kept between calls: the scratch grows in the middle of some pair.
    const records = Array.from({ length: 3000 }, (_, i) => ({
      timeUnixNano: T0 + BigInt(i),
      attributes: kv({ a: 'v'.repeat(100 + (i % 23)), b: 'w'.repeat(110 - (i % 17)), c: 'x'.repeat(90 + (i % 31)) }),
    }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }]));
    assert.ok(bytes.length > 1 << 20);
    assert.ok(compare(bytes, { format: 'raw' }));
  });

  it('reads record fields with any length prefix: overlong, two and three bytes, a bool as a long varint', () => {
    const record = (...fields: Buffer[]): Buffer => {
      const body = Buffer.concat(fields);
      return Buffer.concat([Buffer.from([0x12, body.length]), body]);
    };
    const field = (tag: number, prefix: number[], bytes: Buffer): Buffer => Buffer.concat([Buffer.from([tag, ...prefix]), bytes]);
    const text = (value: string) => Buffer.concat([Buffer.from([0x0a, value.length]), Buffer.from(value)]);
    const attribute = (key: string, value: Buffer) => {
      const inner = Buffer.concat([text(key), Buffer.from([0x12, value.length]), value]);
      return field(0x32, [inner.length], inner);
    };
    const records = [
      // An overlong one-byte length for the body (0x89 0x00 is 9).
      record(field(0x2a, [0x89, 0x00], text('hello!!')), attribute('k', text('v'))),
      record(field(0x2a, [0x09], text('second!')), attribute('k', Buffer.from([0x10, 0x80, 0x01]))),
      record(field(0x2a, [0x09], text('third!!')), attribute('k', Buffer.from([0x10, 0x01]))),
      record(
        field(0x2a, [0x09], text('fourth!')),
        attribute('k', Buffer.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
      ),
      // A bool whose varint takes two bytes and is 0: false.
      record(field(0x2a, [0x09], text('fifth!!')), attribute('k', Buffer.from([0x10, 0x80, 0x00]))),
    ];
    const request = (records: Buffer[]) => {
      const scope = Buffer.concat(records);
      const scopeLogs = Buffer.concat([Buffer.from([0x12, 0x80 | (scope.length & 0x7f), scope.length >> 7]), scope]);
      return Buffer.concat([Buffer.from([0x0a, 0x80 | (scopeLogs.length & 0x7f), scopeLogs.length >> 7]), scopeLogs]);
    };
    assert.ok(compare(request(records), { format: 'raw' }));
    assert.ok(compare(request(records), { format: 'json' }));
    // A string and then an int in one AnyValue: the int wins (a json line leaves such a value to the model path).
    const twoFields = record(field(0x2a, [0x09], text('sixth!!')), attribute('k', Buffer.from([0x0a, 0x01, 0x78, 0x18, 0x05])));
    assert.ok(compare(request([...records, twoFields]), { format: 'raw' }));
    // A KeyValue with an unknown field after its key: the decoder skips it, and the value is empty.
    const unknownField = Buffer.from([0x0a, 0x01, 0x6b, 0x1a, 0x03, 0x0a, 0x01, 0x79]);
    const withUnknown = record(field(0x2a, [0x09], text('seventh')), field(0x32, [unknownField.length], unknownField));
    for (const format of ['raw', 'json'] as const) compare(request([...records, withUnknown]), { format });
    // An unknown field where the key usually is, laid out like one: the key is empty, not its bytes.
    const unknownFirst = Buffer.from([0x1a, 0x01, 0x78, 0x12, 0x03, 0x0a, 0x01, 0x76]);
    const withUnknownFirst = record(field(0x2a, [0x09], text('eighth!')), field(0x32, [unknownFirst.length], unknownFirst));
    assert.ok(compare(request([...records, withUnknownFirst]), { format: 'raw' }));
    compare(request([...records, withUnknownFirst]), { format: 'json' });
    // Bodies whose lengths take two and three bytes.
    const long = encodeLogsProto(
      logs([
        {
          attributes: { 'service.name': 'a' },
          scopes: [[200, 20_000, 16_383, 16_384, 5].map((n, i) => ({ body: 'b'.repeat(n), timeUnixNano: T0 + BigInt(i) }))],
        },
      ]),
    );
    assert.ok(compare(long, { format: 'raw' }));
    assert.ok(compare(long, { format: 'json' }));
  });

  it('gives the model path’s fragments for records whose fields come in any order, singular ones sent more than once', () => {
    // The decoder keeps the last of a singular field, and attributes in wire order, whatever lies between them.
    const next = random(20250301);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const text = (): Buffer => Buffer.from(pick(['', 'a', 'INFO', 'Warning', 'héllo', 'say "hi"\n', 'x'.repeat(140), 'BADBYTE']));
    const time = (): Buffer => {
      const out = Buffer.alloc(8);
      out.writeBigUInt64LE(T0 + BigInt(Math.floor(next() * 1e6)));
      return out;
    };
    const value = (depth = 0): Buffer => {
      const roll = next();
      if (roll < 0.5) return field(0x0a, text());
      if (roll < 0.6) return Buffer.from([0x18, Math.floor(next() * 128)]);
      if (roll < 0.65) return Buffer.from([0x10, Math.floor(next() * 2)]);
      if (roll < 0.7) return Buffer.concat([Buffer.from([0x21]), time()]);
      if (roll < 0.75 && depth < 2) return field(0x32, field(0x0a, keyValue(depth + 1)));
      if (roll < 0.8 && depth < 2) return field(0x2a, Buffer.concat([field(0x0a, value(depth + 1)), field(0x0a, value(depth + 1))]));
      if (roll < 0.85) return field(0x3a, Buffer.from([1, 2, 255]));
      return Buffer.alloc(0);
    };
    const keyValue = (depth = 0): Buffer =>
      Buffer.concat([field(0x0a, Buffer.from(pick(['k', 'a', 'b', 'user.id', 'ключ']))), field(0x12, value(depth))]);
    const id = (size: number): Buffer =>
      field(size === 16 ? 0x4a : 0x52, next() < 0.2 ? Buffer.alloc(0) : Buffer.alloc(size, Math.floor(next() * 256)));
    const singular: Array<() => Buffer> = [
      () => Buffer.concat([Buffer.from([0x09]), time()]),
      () => Buffer.concat([Buffer.from([0x59]), time()]),
      () => Buffer.from([0x10, pick([1, 5, 9, 13, 17, 21])]),
      () => field(0x1a, text()),
      () => field(0x2a, value()),
      () => id(16),
      () => id(8),
      () => field(0x62, text()),
    ];
    const record = (): Buffer => {
      const fields: Buffer[] = [];
      for (const make of singular) for (let n = next() < 0.6 ? 1 : next() < 0.5 ? 0 : 2; n > 0; n--) fields.push(make());
      for (let n = Math.floor(next() * 4); n > 0; n--) fields.push(field(0x32, keyValue()));
      for (let i = fields.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [fields[i], fields[j]] = [fields[j]!, fields[i]!];
      }
      return Buffer.concat(fields);
    };
    const settings: MappingSettings[] = [{ format: 'raw' }, { format: 'json' }, { format: 'json', structuredMetadata: false }];
    let taken = 0;
    const cases = 300;
    for (let n = 0; n < cases; n++) {
      const encoded = requestOf(Array.from({ length: 1 + Math.floor(next() * 5) }, record));
      const bytes = next() < 0.3 ? withInvalidUtf8(encoded) : encoded;
      for (const options of settings) if (compare(bytes, options)) taken++;
    }
    assert.ok(taken > cases, `transcoder answered ${taken} of ${3 * cases}`);
  });

  it('answers a request larger than the scratch it keeps, grown while entries are written', () => {
    const records = Array.from({ length: 6000 }, (_, i) => ({
      body: `line ${i} `.repeat(40),
      timeUnixNano: T0 + BigInt(i),
      attributes: kv({ k: 'v'.repeat(i % 300), n: BigInt(i), d: i / 4 }),
    }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }]));
    assert.ok(bytes.length > 2 << 20);
    assert.ok(compare(bytes, { format: 'raw' }));
  });

  it('keeps the model path’s order: streams first seen first, entries stably by time, time → observed → receive time', () => {
    const bytes = encodeLogsProto(
      logs([
        {
          attributes: { 'service.name': 'b' },
          scopes: [
            [
              { body: 'b1', timeUnixNano: T0 + 5n },
              { body: 'b0', timeUnixNano: T0 + 1n },
            ],
          ],
        },
        {
          attributes: { 'service.name': 'a' },
          scopes: [
            [
              { body: 'a-late', timeUnixNano: T0 + 2n ** 40n },
              { body: 'a-observed', observedTimeUnixNano: T0 + 3n },
              { body: 'a-untimed' },
              { body: 'a-same-1', timeUnixNano: T0 + 3n },
            ],
          ],
        },
        { attributes: { 'service.name': 'b' }, scopes: [[{ body: 'b-again', timeUnixNano: T0 + 1n }]] },
      ]),
    );
    assert.ok(compare(bytes, { format: 'raw' }, T0 + 3n));
    assert.ok(compare(bytes, { format: 'raw' }, 0n));
    assert.ok(compare(bytes, { format: 'raw' }, 2n ** 64n - 1n));
  });

  it('answers for resource hints it can plan, and an empty request', () => {
    const hinted = encodeLogsProto(
      logs([
        {
          attributes: { 'service.name': 'a', 'loki.resource.labels': 'host.name', 'host.name': 'h', 'loki.format': 'raw' },
          scopes: [[{ body: 'x' }]],
        },
      ]),
    );
    assert.ok(compare(hinted, { format: 'json' }));
    assert.deepEqual(wirePushFragments(encodeLogsProto({ resourceLogs: [] }), resolveMappingOptions({ format: 'raw' }), T0, MAX), []);
  });

  it('leaves a request the model path would split to it, at every limit around its size', () => {
    const records = Array.from({ length: 6 }, (_, i) => ({ body: `line ${i} ünïcödé`, attributes: kv({ k: 'v', n: BigInt(i) }) }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a', 'host.name': 'h' }, scopes: [records] }]));
    const [whole] = pushFragments(decodeLogsProto(bytes), resolveMappingOptions({ format: 'raw' }), T0, {
      encoding: 'protobuf',
      maxRequestBytes: MAX,
    });
    let answered = 0;
    for (let max = whole!.body.length - 20; max < whole!.body.length + 200; max++)
      if (compare(bytes, { format: 'raw' }, T0, max)) answered++;
    assert.ok(answered > 0);
  });

  it('leaves to the model path what it does not cover', () => {
    const plain = encodeLogsProto(
      logs([{ attributes: { 'service.name': 'a' }, scopes: [[{ body: 'x', attributes: kv({ k: 'v' }) }, { body: 'y' }]] }]),
    );
    const options = (settings: MappingSettings) => resolveMappingOptions(settings);
    const fallsBack = (bytes: Uint8Array, settings: MappingSettings, max = MAX) =>
      assert.equal(wirePushFragments(bytes, options(settings), T0, max), undefined, JSON.stringify(settings));
    fallsBack(plain, { format: 'logfmt' });
    fallsBack(plain, { format: 'raw', attributeLabels: { k: null } });
    fallsBack(plain, { format: 'raw', levelLabel: true });
    fallsBack(plain, { format: 'raw', metadataAttributes: ['k'] });
    fallsBack(plain, { format: 'raw' }, 10);
    for (const key of RARE_KEYS) {
      fallsBack(encodeLogsProto(logs([{ attributes: {}, scopes: [[{ body: 'x', attributes: kv({ [key]: 'v' }) }]] }])), { format: 'raw' });
    }
    fallsBack(encodeLogsProto(logs([{ attributes: { 'loki.tenant': 'org', org: 'o' }, scopes: [[{ body: 'x' }]] }])), { format: 'raw' });
    // Bytes the decoder refuses: the model path reports them.
    fallsBack(Buffer.from([0x0a, 0x05, 0x12]), { format: 'raw' });
    // A record whose last field, a time or an attribute, runs past its end into the next record.
    const twoRecords = (last: number[]) => {
      const first = Buffer.from([0x2a, 0x03, 0x0a, 0x01, 0x61, ...last]);
      const second = Buffer.from([0x2a, 0x03, 0x0a, 0x01, 0x62, 0x09, 1, 2, 3, 4, 5, 6, 7, 8]);
      const scope = Buffer.concat([Buffer.from([0x12, first.length]), first, Buffer.from([0x12, second.length]), second]);
      const resourceLogs = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
      return Buffer.concat([Buffer.from([0x0a, resourceLogs.length]), resourceLogs]);
    };
    fallsBack(twoRecords([0x09, 1, 2, 3, 4]), { format: 'raw' });
    // (The overrun key is the next record's tag and length.)
    fallsBack(twoRecords([0x32, 0x04, 0x0a, 0x02]), { format: 'raw' });
  });
});

describe('wirePushFragments, json lines', () => {
  /** Resources with their own attribute lists (repeated keys allowed) and scopes with a name and version each. */
  type Scope = { name: string; version: string; records: Partial<LogRecord>[] };
  function jsonLogs(resources: { attributes: KeyValue[]; scopes: Scope[] }[]): LogsData {
    return {
      resourceLogs: resources.map(({ attributes, scopes }) => ({
        resource: { attributes, droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: scopes.map(({ name, version, records }) => ({
          scope: { name, version, attributes: kv({ 'scope.attr': 'x' }), droppedAttributesCount: 0 },
          logRecords: records.map((fields) => newLogRecord(fields)),
          schemaUrl: '',
        })),
      })),
    };
  }

  // Integer-like keys ('0', '17') come first in a JavaScript object; '017' and '-1' do not.
  const JSON_KEYS = [...KEYS, '__proto__', 'constructor', '0', '17', '017', '-1', '4294967295', '', 'emoji 😀', 'quote"key', 'ctl\u0001'];

  it('gives the model path’s fragments, byte for byte, over many generated requests with every kind of value', () => {
    const next = random(19700101);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    /** Mostly distinct keys; sometimes a repeated one or one from the rare list. */
    const keyValues = (count: number, rare: number, depth: number): KeyValue[] => {
      const out: KeyValue[] = [];
      for (let i = 0; i < count; i++) {
        const roll = next();
        const key = roll < rare ? pick(JSON_KEYS) : roll < 2 * rare && out.length > 0 ? out[0]!.key : `${pick(KEYS)}${i}`;
        out.push({ key, value: value(depth) });
      }
      return out;
    };
    const value = (depth = 0): AnyValue => {
      const roll = next();
      if (roll < 0.45) return pick(STRINGS);
      if (roll < 0.55)
        return pick([
          0n,
          7n,
          -42n,
          2n ** 53n - 1n,
          -(2n ** 53n) + 1n,
          2n ** 53n,
          -(2n ** 53n),
          9_007_199_254_740_993n,
          -(2n ** 63n),
          2n ** 63n - 1n,
          4294967296n,
          -4294967296n,
        ]);
      if (roll < 0.6) return next() < 0.5;
      if (roll < 0.68) return pick([0, 1.5, -0, 1e21, 1e-7, 3.14159, -2.5e-300, Number.MAX_VALUE, Number.NaN, Infinity, -Infinity]);
      if (roll < 0.72) return pick([new Uint8Array([0, 1, 2, 255]), new Uint8Array(0), new Uint8Array([251, 255, 191])]);
      if (roll < 0.8 && depth < 3) return Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1));
      if (roll < 0.88 && depth < 3) return { kvlist: keyValues(Math.floor(next() * 3), 0.08, depth + 1) };
      return null;
    };
    const time = (): bigint => (next() < 0.25 ? 0n : T0 + BigInt(Math.floor(next() * 1e6)) * pick([1n, 1000n, 1_000_000_000n]));
    const record = (): Partial<LogRecord> => ({
      timeUnixNano: time(),
      observedTimeUnixNano: time(),
      severityNumber: pick([0, 0, 1, 5, 9, 9, 13, 17, 21, 24, 30]),
      severityText: pick(['', 'INFO', 'Warning', 'BADBYTE', 'ÉRREUR', 'say "hi"\n']),
      body: next() < 0.6 ? pick(STRINGS) : next() < 0.15 ? null : value(),
      attributes: keyValues(Math.floor(next() * 6), 0.04, 0),
      droppedAttributesCount: pick([0, 0, 3]),
      flags: pick([0, 1]),
      traceId: next() < 0.5 ? '0123456789abcdef0123456789abcdef' : '',
      spanId: next() < 0.5 ? 'fedcba9876543210' : '',
      eventName: pick(['', 'event']),
    });
    const settings: MappingSettings[] = [
      { format: 'json' },
      { format: 'json' },
      { format: 'json', tenantId: 'team-a' },
      { format: 'json', structuredMetadata: false },
      { format: 'json', staticLabels: { env: 'prod' } },
      { format: 'json', defaultResourceLabels: false },
      // Configured labels leave the line; the default ones stay in it.
      { format: 'json', resourceLabels: { 'host.name': null, 'k8s.pod.name': 'pod' } },
      { format: 'json', resourceLabels: { 'service.name': 'svc' } },
      { format: 'json', attributeLabels: { 'http.method0': null } },
      { format: 'json', levelLabel: true },
      { format: 'json', metadataAttributes: ['user.id0'] },
    ];
    let taken = 0;
    let takenWithInvalid = 0;
    const cases = 600;
    for (let n = 0; n < cases; n++) {
      const resources = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const attributes = keyValues(Math.floor(next() * 3), 0.05, 1);
        if (next() < 0.7) attributes.push({ key: 'service.name', value: pick(['checkout', 'BADBYTE', 'ßervice', '', 'say "hi"']) });
        if (next() < 0.3) attributes.push({ key: 'service.namespace', value: pick(['shop', 7n]) });
        if (next() < 0.3) attributes.push({ key: 'host.name', value: pick(STRINGS) });
        if (next() < 0.2) attributes.push({ key: 'k8s.pod.name', value: pick(STRINGS) });
        if (next() < 0.05) attributes.push({ key: 'loki.format', value: pick(['json', 'raw', 'logfmt']) });
        const scopes = Array.from({ length: Math.floor(next() * 3) }, () => ({
          name: pick(['', 'app', 'BADBYTE', 'my.lib/ünï']),
          version: pick(['', '1.0', 'v"2"']),
          records: Array.from({ length: Math.floor(next() * 6) }, record),
        }));
        return { attributes, scopes };
      });
      const encoded = encodeLogsProto(jsonLogs(resources));
      const bytes = next() < 0.3 ? withInvalidUtf8(encoded) : encoded;
      const maxRequestBytes = next() < 0.1 ? pick([1, 300, 3000]) : MAX;
      const options = next() < 0.1 ? { format: 'raw' as const } : pick(settings);
      if (next() < 0.1) resources[0]!.attributes.push({ key: 'loki.format', value: 'json' });
      const answered = compare(bytes, options, T0 + BigInt(Math.floor(next() * 1e12)), maxRequestBytes);
      if (answered) taken++;
      if (answered && bytes !== encoded && bytes.includes(INVALID)) takenWithInvalid++;
    }
    assert.ok(taken > cases / 5, `transcoder answered ${taken} of ${cases}`);
    assert.ok(takenWithInvalid > 10, `transcoder answered ${takenWithInvalid} requests with invalid UTF-8`);
  });

  it('answers the common case itself: string bodies; string, int, double and bool attributes; ASCII and multi-byte', () => {
    for (const text of ['request done', 'requête traitée 😀 “ok”', 'tab\tquote"backslash\\']) {
      const records = Array.from({ length: 50 }, (_, i) => ({
        timeUnixNano: T0 + BigInt(i),
        severityNumber: 9,
        severityText: 'INFO',
        body: `${text} ${i}`,
        traceId: i % 2 === 0 ? '0123456789abcdef0123456789abcdef' : '',
        spanId: i % 2 === 0 ? '0123456789abcdef' : '',
        attributes: kv({
          'http.method': 'GET',
          'http.status_code': 200n,
          'duration.ms': 1.25,
          cached: i % 3 === 0,
          'user.name': `${text} u${i}`,
        }),
      }));
      const bytes = encodeLogsProto(
        jsonLogs([
          {
            attributes: kv({ 'service.name': 'orders', 'host.name': 'node-1', 'process.pid': 4242n }),
            scopes: [
              { name: 'app', version: '1.0', records },
              { name: '', version: '', records: records.slice(0, 3) },
            ],
          },
        ]),
      );
      for (const settings of [
        {},
        { format: 'json' },
        { format: 'json', resourceLabels: { 'host.name': null } },
        { format: 'json', structuredMetadata: false },
      ] as const) {
        assert.ok(compare(bytes, settings), `${text} ${JSON.stringify(settings)}`);
      }
    }
  });

  it('nests values to the depth the decoder takes, and no further', () => {
    let taken = 0;
    let refused = 0;
    for (let depth = MAX_DEPTH - 2; depth <= MAX_DEPTH + 1; depth++) {
      for (const leaf of ['x', 7n, 1.5, true] as AnyValue[]) {
        let body: AnyValue = leaf;
        let attribute: AnyValue = leaf;
        for (let i = 1; i < depth; i++) {
          body = [body];
          attribute = { kvlist: [{ key: 'k', value: attribute }] };
        }
        for (const record of [{ body }, { body: 'b', attributes: kv({ a: attribute }) }]) {
          const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [[record]] }]));
          let decodes = true;
          try {
            decodeLogsProto(bytes);
          } catch {
            decodes = false;
          }
          if (decodes) {
            assert.ok(compare(bytes, { format: 'json' }), `depth ${depth}`);
            taken++;
          } else {
            assert.equal(wirePushFragments(bytes, resolveMappingOptions({ format: 'json' }), T0, MAX), undefined, `depth ${depth}`);
            refused++;
          }
        }
      }
    }
    assert.ok(taken > 0 && refused > 0, `${taken} taken, ${refused} refused`);
  });

  it('keeps no memory of a request refused half-way through a json line that outgrew the scratch', async () => {
    // A 4 MiB body, then an attribute whose string runs past its value: the reader throws while the
    // line is written (the scan a receiver runs first refuses such bytes; the decoder does too).
    const attribute = attributeField('k', Buffer.from([0x0a, 0x05, 0x61]));
    const body = (): Buffer => field(0x2a, field(0x0a, Buffer.alloc(4 << 20, 0x61)));
    // The buffer a leak keeps is the grown line, 24 MiB here.
    const kept = await arrayBuffersKeptAfter(() => {
      const request = requestOf([Buffer.concat([body(), attribute])]);
      assert.throws(() => decodeLogsProto(request));
      assert.equal(wirePushFragments(request, resolveMappingOptions({ format: 'json' }), T0, MAX), undefined);
    });
    assert.ok(kept < KEPT_BOUND, `${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
  });

  it('writes the otelcol json line', () => {
    const bytes = encodeLogsProto(
      jsonLogs([
        {
          attributes: kv({ 'service.name': 'a', 'host.name': 'h' }),
          scopes: [
            {
              name: 's',
              version: '',
              records: [
                {
                  body: { kvlist: kv({ n: 2n ** 60n, d: Number.NaN, b: new Uint8Array([1]), l: [null, true] }) },
                  attributes: kv({ k: 'v' }),
                },
                {},
              ],
            },
          ],
        },
      ]),
    );
    const options = resolveMappingOptions({ format: 'json', resourceLabels: { 'host.name': null } });
    const [fragment] = wirePushFragments(bytes, options, T0, MAX)!;
    const body = fragment!.body.toString('latin1');
    for (const line of [
      '{"body":{"n":"1152921504606846976","d":null,"b":"AQ==","l":[null,true]},"attributes":{"k":"v"},"resources":{"service.name":"a"},"instrumentation_scope":{"name":"s"}}',
      '{"resources":{"service.name":"a"},"instrumentation_scope":{"name":"s"}}',
    ]) {
      assert.ok(body.includes(line), line);
    }
  });

  it('leaves to the model path records whose objects JavaScript would reorder or merge, and hints', () => {
    const fallsBack = (records: Partial<LogRecord>[]) => {
      const bytes = encodeLogsProto(
        jsonLogs([{ attributes: kv({ 'service.name': 'a' }), scopes: [{ name: 's', version: '1', records }] }]),
      );
      assert.equal(
        wirePushFragments(bytes, resolveMappingOptions({ format: 'json' }), T0, MAX),
        undefined,
        JSON.stringify(records, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
      // And what the model path makes of it is still checked by the generated requests above.
    };
    const twice: KeyValue[] = [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'a', value: '3' },
    ];
    fallsBack([{ body: 'x', attributes: twice }]);
    fallsBack([{ body: { kvlist: twice } }]);
    fallsBack([{ body: 'x', attributes: kv({ nested: [{ kvlist: twice }] }) }]);
    for (const key of ['0', '17', '4294967294']) {
      fallsBack([{ body: 'x', attributes: kv({ a: 1n, [key]: 2n }) }]);
      fallsBack([{ body: { kvlist: kv({ a: 1n, [key]: 2n }) } }]);
    }
    for (const key of RARE_KEYS) fallsBack([{ body: 'x', attributes: kv({ [key]: 'v' }) }]);
    // An AnyValue with two members set (the last wins): hand-made, as no encoder writes it.
    const body = Buffer.from([0x0a, 0x01, 0x78, 0x10, 0x01]); // string_value "x", then bool_value true
    const record = Buffer.concat([Buffer.from([0x2a, body.length]), body]);
    const scopeLogs = Buffer.concat([Buffer.from([0x12, record.length]), record]);
    const resourceLogs = Buffer.concat([Buffer.from([0x12, scopeLogs.length]), scopeLogs]);
    const request = Buffer.concat([Buffer.from([0x0a, resourceLogs.length]), resourceLogs]);
    assert.equal(wirePushFragments(request, resolveMappingOptions({ format: 'json' }), T0, MAX), undefined);
    assert.ok(
      compare(
        encodeLogsProto(
          jsonLogs([
            {
              attributes: [],
              scopes: [
                { name: '', version: '', records: [{ body: 'x', attributes: kv({ '017': 1n, '-1': 2n, '4294967295': 3n, '1e3': 4n }) }] },
              ],
            },
          ]),
        ),
        { format: 'json' },
      ),
    );
  });
});

describe('wirePushFragments, one request after another', () => {
  it('copies names read in place from where they are after an entry’s length prefix changed size and moved them', () => {
    // Entries alternately under and over 128 bytes: each one's length prefix takes another size
    // than the last one's (the guess), so its bytes move after its pairs were written in place.
    const records = Array.from({ length: 12 }, (_, i) => ({
      body: 'x',
      timeUnixNano: T0 + BigInt(i),
      attributes: kv({ k: i % 2 === 0 ? 'v' : 'w'.repeat(120), 'user.id': `u${i}` }),
    }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }]));
    assert.ok(compare(bytes, { format: 'raw' }));
  });

  it('writes every stream’s labels as the model path does, request after request: several streams, multi-byte, over 4 KiB in all', () => {
    // The label bytes kept between requests: several streams a request, met again in another
    // order, other streams between, a label set larger than what is kept (let go at the end of its call).
    const request = (names: string[]) =>
      encodeLogsProto(
        logs(
          names.map((name, i) => ({
            attributes: { 'service.name': name, 'service.namespace': 'shop' },
            scopes: [[{ body: `${name.slice(0, 8)} ${i}`, timeUnixNano: T0 + BigInt(i) }]],
          })),
        ),
      );
    const big = 'ünïcödé-'.repeat(600);
    const sequence = [
      ['checkout', 'cart', '日本語のサービス'],
      ['cart', 'checkout', 'emoji 😀'],
      ['checkout', big, 'cart'],
      ['日本語のサービス', 'checkout'],
      [big],
      ['cart', 'checkout', 'ünïcödé', 'x'.repeat(70)],
      ['checkout', 'cart', '日本語のサービス'],
    ];
    for (const names of sequence) assert.ok(compare(request(names), { format: 'raw' }), names.join(', '));
  });

  it('lets go of a large stream’s label bytes', async () => {
    // A 12 MiB service.name: a label, whose bytes must not be kept past the call.
    const kept = await arrayBuffersKeptAfter(() => {
      const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a'.repeat(12 << 20) }, scopes: [[{ body: 'x' }]] }]));
      assert.ok(wirePushFragments(bytes, resolveMappingOptions({ format: 'raw' }), T0, 64 << 20));
    });
    assert.ok(kept < KEPT_BOUND, `${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
  });

  it('writes ids after a json line outgrew the scratch as the model path does', () => {
    // A body larger than the scratch kept between calls, then the ids: the line grows its buffer before it writes them.
    const records = [0, 1].map((i) => ({
      body: `${i}`.repeat(1_200_000),
      timeUnixNano: T0 + BigInt(i),
      traceId: '0123456789abcdef0123456789abcdef',
      spanId: 'fedcba9876543210',
    }));
    const bytes = encodeLogsProto(logs([{ attributes: { 'service.name': 'a' }, scopes: [records] }]));
    assert.ok(compare(bytes, { format: 'json' }));
  });

  it('lets go of the scratch a request larger than it keeps made it grow to', async () => {
    // One record of 12 MiB: the request's copy and its entry take 24 MiB of scratch during the call.
    const kept = await arrayBuffersKeptAfter(() => {
      const request = requestOf([field(0x2a, field(0x0a, Buffer.alloc(12 << 20, 0x61)))]);
      assert.ok(wirePushFragments(request, resolveMappingOptions({ format: 'raw' }), T0, MAX));
    });
    assert.ok(kept < KEPT_BOUND, `${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
  });

  it('plans a resource sent in parts afresh, and does not take its plan for a later resource with the bytes of one part', () => {
    // The decoder merges the parts of a resource sent in several fields; the transcoder's reuse of
    // the last resource's plan must not key that merge on the last part's bytes.
    const options = resolveMappingOptions({ format: 'raw' });
    const attribute = (key: string, value: string): Buffer =>
      field(0x0a, Buffer.concat([field(0x0a, Buffer.from(key)), field(0x12, field(0x0a, Buffer.from(value)))]));
    const scopeLogs = field(0x12, field(0x12, field(0x2a, field(0x0a, Buffer.from('line')))));
    const service = attribute('service.name', 'checkout');
    const host = attribute('host.name', 'web-1');
    const inParts = field(0x0a, Buffer.concat([field(0x0a, service), field(0x0a, host), scopeLogs]));
    const hostOnly = field(0x0a, Buffer.concat([field(0x0a, host), scopeLogs]));
    const whole = field(0x0a, Buffer.concat([field(0x0a, Buffer.concat([service, host])), scopeLogs]));
    const none = field(0x0a, scopeLogs);
    for (const [n, bytes] of [inParts, hostOnly, whole, hostOnly, inParts, inParts, none, hostOnly, none].entries()) {
      const expected = pushFragments(decodeLogsProto(bytes), options, T0, { encoding: 'protobuf', maxRequestBytes: MAX });
      assert.deepEqual(wirePushFragments(bytes, options, T0, MAX), expected, `request ${n}`);
    }
  });

  it('starts its keys afresh with their copies: no index keeps a range of the copies it had before', () => {
    // A record with keys 'a' and 'b', then keys enough to start the copies afresh at the next
    // request; there, a first key whose copy's second byte is 'q', then the key 'q' at the
    // index where 'b' was: it lies where 'b' lay, and must get its own name.
    const record = (keys: string[]): Buffer =>
      Buffer.concat([field(0x2a, field(0x0a, Buffer.from('x'))), ...keys.map((key) => attributeField(key, field(0x0a, Buffer.from('v'))))]);
    const distinct = Array.from({ length: 1200 }, (_, i) => record([`${i}`.padStart(6, '0') + 'f'.repeat(60)]));
    for (const records of [distinct, [record(['a', 'b']), ...distinct], [record(['zq', 'q'])]]) {
      assert.ok(compare(requestOf(records), { format: 'raw' }, T0, 64 << 20));
    }
  });

  it('lets go of the key copies a request with many keys made grow', async () => {
    // Two keys taking turns at one index, 120 bytes each: each record copies its key, 10 MiB in all.
    const kept = await arrayBuffersKeptAfter(() => {
      const records = Array.from({ length: 80_000 }, (_, i) =>
        Buffer.concat([
          field(0x2a, field(0x0a, Buffer.from('x'))),
          attributeField((i % 2 === 0 ? 'a' : 'b').repeat(120), field(0x0a, Buffer.from('v'))),
        ]),
      );
      assert.ok(wirePushFragments(requestOf(records), resolveMappingOptions({ format: 'raw' }), T0, 64 << 20));
    });
    assert.ok(kept < KEPT_BOUND, `${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
  });

  it('lets go of a large resource it planned', async () => {
    // A resource attribute of 12 MiB (metadata on a raw line): its copy and its encoded pairs must not outlive the call.
    const kept = await arrayBuffersKeptAfter(() => {
      const resource = field(
        0x0a,
        field(0x0a, Buffer.concat([field(0x0a, Buffer.from('big')), field(0x12, field(0x0a, Buffer.alloc(12 << 20, 0x61)))])),
      );
      const request = field(0x0a, Buffer.concat([resource, field(0x12, field(0x12, field(0x2a, field(0x0a, Buffer.from('x')))))]));
      assert.ok(wirePushFragments(request, resolveMappingOptions({ format: 'raw' }), T0, 64 << 20));
    });
    assert.ok(kept < KEPT_BOUND, `${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
  });

  it('lets go of a large resource’s json tail, a large severity and a large key', async () => {
    // 12 MiB each: a resource attribute in every json line's tail, a severity text (in its pairs
    // twice: severity_text and detected_level), an attribute key (its label name).
    const big = Buffer.alloc(12 << 20, 0x61);
    const line = field(0x2a, field(0x0a, Buffer.from('x')));
    const resource = field(0x0a, field(0x0a, Buffer.concat([field(0x0a, Buffer.from('big')), field(0x12, field(0x0a, big))])));
    const requests: [Buffer, MappingSettings][] = [
      [field(0x0a, Buffer.concat([resource, field(0x12, field(0x12, line))])), { format: 'json' }],
      [requestOf([Buffer.concat([field(0x1a, big), line])]), { format: 'raw' }],
      [requestOf([Buffer.concat([line, attributeField(big, field(0x0a, Buffer.from('v')))])]), { format: 'raw' }],
    ];
    for (const [n, [request, settings]] of requests.entries()) {
      const kept = await arrayBuffersKeptAfter(() => assert.ok(wirePushFragments(request, resolveMappingOptions(settings), T0, 64 << 20)));
      assert.ok(kept < KEPT_BOUND, `request ${n}: ${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
    }
    // What is left is the state of no severity and no tail: the next requests come out as the model path's.
    assert.ok(compare(requestOf([line]), { format: 'raw' }));
    assert.ok(compare(requestOf([line]), { format: 'json' }));
  });

  it('lets go of a request whose json line outgrew the scratch', async () => {
    // The json line reads the request from a copy in the scratch; a large one is let go, and the line must not keep it.
    const kept = await arrayBuffersKeptAfter(() => {
      const request = requestOf([field(0x2a, field(0x0a, Buffer.alloc(12 << 20, 0x61)))]);
      assert.ok(wirePushFragments(request, resolveMappingOptions({ format: 'json' }), T0, 64 << 20));
    });
    assert.ok(kept < KEPT_BOUND, `${(kept / 2 ** 20).toFixed(1)} MiB kept after the call`);
  });

  it('gives the model path’s fragments over sequences of requests, some refused half-way or malformed, some larger than the scratch', () => {
    // The transcoder keeps its scratch, keys, names' places, prefix guesses and last resource's
    // plan between calls: each request, whatever came before it, must come out as the model path
    // writes it. Keys repeat at the same index (names copied from where the request's output first
    // has them), and values switch between the in-place pair and the decoding path at the same
    // index. Resources repeat, or differ in a byte only, under the same options or others.
    const next = random(20260202);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const keys = ['k', 'user.id', 'http.method', 'a-b', '', 'ключ', 'x'.repeat(60)];
    const value = (): AnyValue =>
      pick<AnyValue>(['', 'v', 'GET', 'w'.repeat(20), 'w'.repeat(125), 'w'.repeat(130), 'ünï', 'BADBYTE', 7n, -1n, 1.5, true, null, [1n]]);
    const record = (i: number, hintAt: number): Partial<LogRecord> => {
      const attributes: KeyValue[] = [];
      // Mostly the same keys in the same order, sometimes one swapped: a key changes at an index.
      const order = next() < 0.8 ? keys.slice(0, 1 + (i % 3)) : [pick(keys), pick(keys)];
      for (const key of order) attributes.push({ key, value: value() });
      if (i === hintAt) attributes.push({ key: 'loki.attribute.labels', value: 'k' });
      return {
        body: pick(['line', 'b'.repeat(30), 'b'.repeat(200), 'héllo']),
        timeUnixNano: T0 + BigInt(Math.floor(next() * 1000)),
        severityNumber: pick([0, 9, 17]),
        severityText: pick(['', 'INFO', 'INFO', 'ÉRREUR']),
        traceId: next() < 0.5 ? '0123456789abcdef0123456789abcdef' : '',
        spanId: next() < 0.5 ? 'fedcba9876543210' : '',
        attributes,
      };
    };
    // The caller's bytes and the fragments' memory at odd offsets of larger buffers, as pooled Buffers are.
    const allocate = (size: number): Buffer => Buffer.alloc(size + 7).subarray(7);
    const settings: MappingSettings[] = [{ format: 'raw' }, { format: 'json' }, { format: 'raw', structuredMetadata: false }];
    // An exporter's options are one object for its life; another exporter's are another.
    const exporters = settings.map((setting) => resolveMappingOptions(setting));
    let previous: { body: Buffer; copy: Buffer } | undefined;
    let largest = 0;
    let taken = 0;
    let refused = 0;
    const cases = 250;
    for (let n = 0; n < cases; n++) {
      const large = n % 60 === 30;
      const count = large ? 3500 : 1 + Math.floor(next() * 12);
      const hintAt = next() < 0.15 ? Math.floor(next() * count) : -1;
      const resources = Array.from({ length: 1 + Math.floor(next() * 2) }, (_, r) => {
        const attributes: Record<string, AnyValue> = { 'service.name': `svc${r}`, 'host.name': pick(['web-1', 'web-2']) };
        if (next() < 0.3) attributes['loki.format'] = pick(['raw', 'json']);
        return { attributes, scopes: [Array.from({ length: count }, (_, i) => record(i, hintAt))] };
      });
      const encoded = encodeLogsProto(logs(resources));
      largest = Math.max(largest, encoded.length);
      let bytes = next() < 0.2 ? withInvalidUtf8(encoded) : encoded;
      const malformed = next() < 0.1;
      if (malformed) bytes = bytes.subarray(0, Math.floor(next() * bytes.length));
      const offset = 1 + Math.floor(next() * 7);
      const sent = Buffer.concat([Buffer.alloc(offset, 0xee), bytes]).subarray(offset);
      const sentCopy = Buffer.from(sent);
      const options = next() < 0.8 ? pick(exporters) : resolveMappingOptions(pick(settings));
      const receiveTimeNs = T0 + 999n;
      const actual = wirePushFragments(sent, options, receiveTimeNs, MAX, allocate);
      assert.deepEqual(sent, sentCopy, 'the caller’s bytes are left as they were');
      let expected: ReturnType<typeof pushFragments> | undefined;
      try {
        expected = pushFragments(decodeLogsProto(bytes), options, receiveTimeNs, { encoding: 'protobuf', maxRequestBytes: MAX });
      } catch {
        assert.equal(actual, undefined, `case ${n}: the decoder refuses these bytes`);
      }
      if (hintAt >= 0) assert.equal(actual, undefined, `case ${n}: a hint is the model path's`);
      if (actual !== undefined) {
        assert.deepEqual(actual, expected, `case ${n}`);
        taken++;
      } else refused++;
      // Earlier answers are the caller's: nothing the transcoder does later writes to them.
      if (previous) assert.ok(previous.body.equals(previous.copy), `case ${n}: the previous answer changed`);
      const body = actual?.[0]?.body;
      previous = body ? { body, copy: Buffer.from(body) } : previous;
    }
    assert.ok(taken > cases / 2 && refused > cases / 10, `${taken} taken, ${refused} refused`);
    assert.ok(largest > 1 << 20, `the largest request: ${largest} bytes`);
  });
});
