import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { encodePushRequestJson, encodePushRequestProto, snappyCompress, type PushStream } from '../src';
import { encodeJsonStreams, joinJsonStreams } from '../src/json-encoder';
import { varintSize, writeVarint } from '../src/proto-encoder';
import { groupPushes, type PushFragment } from '../src/queued-push';

// An independent reading of Loki's push.proto, built with protobufjs reflection.
const root = protobuf.Root.fromJSON({
  nested: {
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    EntryAdapter: {
      fields: {
        timestamp: { type: 'Timestamp', id: 1 },
        line: { type: 'string', id: 2 },
        structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
      },
    },
    StreamAdapter: {
      fields: {
        labels: { type: 'string', id: 1 },
        entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
        hash: { type: 'uint64', id: 3 },
      },
    },
    PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
  },
});
const PushRequestType = root.lookupType('PushRequest');

function decodeProto(buf: Buffer): PushStream[] {
  const message = PushRequestType.toObject(PushRequestType.decode(buf), { longs: String, defaults: true, arrays: true }) as {
    streams: Array<{
      labels: string;
      entries: Array<{
        timestamp?: { seconds: string; nanos: number };
        line: string;
        structuredMetadata: Array<{ name: string; value: string }>;
      }>;
    }>;
  };
  return message.streams.map((s) => ({
    labels: s.labels,
    entries: s.entries.map((e) => ({
      timestampNs: BigInt(e.timestamp?.seconds ?? '0') * 1_000_000_000n + BigInt(e.timestamp?.nanos ?? 0),
      line: e.line,
      metadata: e.structuredMetadata.map(({ name, value }) => ({ name, value })),
    })),
  }));
}

const sample: PushStream[] = [
  {
    labels: '{service_name="api"}',
    entries: [
      { timestampNs: 1_700_000_000_123_456_789n, line: 'héllo wörld ✓', metadata: [{ name: 'trace_id', value: 'abc' }] },
      { timestampNs: 1_700_000_001_000_000_000n, line: '', metadata: [] },
    ],
  },
  { labels: '{a="1", b="2"}', entries: [{ timestampNs: 5n, line: 'x'.repeat(300), metadata: [{ name: 'k', value: '' }] }] },
];

describe('push encoders', () => {
  it('varintSize is the length writeVarint writes, on both sides of every byte boundary up to 2^53', () => {
    const out = Buffer.alloc(10);
    const values = [0, Number.MAX_SAFE_INTEGER];
    for (let bits = 7; bits <= 53; bits += 7) values.push(2 ** bits - 1, 2 ** bits);
    for (let i = 0; i < 10_000; i++) values.push(Math.floor(Math.random() * 2 ** (Math.random() * 53)));
    for (const value of values) assert.equal(varintSize(value), writeVarint(out, 0, value), `varint of ${value}`);
  });

  it('protobuf: an independent decoder reads back what was encoded', () => {
    assert.deepEqual(decodeProto(encodePushRequestProto(sample)), sample);
  });

  it('protobuf: round-trips arbitrary streams (property)', () => {
    const pair = fc.record({ name: fc.string({ minLength: 1 }), value: fc.string() }, { noNullPrototype: true });
    const entry = fc.record(
      {
        timestampNs: fc.bigInt({ min: 0n, max: 4_000_000_000_000_000_000n }),
        line: fc.string({ unit: 'grapheme' }),
        metadata: fc.array(pair, { maxLength: 4 }),
      },
      { noNullPrototype: true },
    );
    const stream = fc.record({ labels: fc.string(), entries: fc.array(entry, { maxLength: 5 }) }, { noNullPrototype: true });
    fc.assert(
      fc.property(fc.array(stream, { maxLength: 4 }), (streams) => {
        assert.deepEqual(decodeProto(encodePushRequestProto(streams)), streams);
      }),
    );
  });

  it('snappy output is what Loki reads: a snappy block that uncompresses to the message', () => {
    const message = encodePushRequestProto(sample);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- snappyjs ships no type declarations to import by
    const js = require('snappyjs') as { uncompress(input: Buffer): Buffer };
    assert.deepEqual(Buffer.from(js.uncompress(snappyCompress(message))), message);
  });

  it('json: the push API shape, metadata only when present', () => {
    const body = JSON.parse(encodePushRequestJson(sample).toString()) as unknown;
    assert.deepEqual(body, {
      streams: [
        {
          stream: { service_name: 'api' },
          values: [
            ['1700000000123456789', 'héllo wörld ✓', { trace_id: 'abc' }],
            ['1700000001000000000', ''],
          ],
        },
        { stream: { a: '1', b: '2' }, values: [['5', 'x'.repeat(300), { k: '' }]] },
      ],
    });
  });

  it('json: label values with quotes, backslashes and newlines survive', () => {
    const body = JSON.parse(encodePushRequestJson([{ labels: '{a="say \\"hi\\"\\\\\\n"}', entries: [] }]).toString()) as {
      streams: Array<{ stream: unknown }>;
    };
    assert.deepEqual(body.streams[0]!.stream, { a: 'say "hi"\\\n' });
  });

  it('fragments of several requests join into one push: protobuf by concatenation, JSON with commas', () => {
    const [first, second] = [sample.slice(0, 1), sample.slice(1)];
    assert.deepEqual(decodeProto(Buffer.concat([encodePushRequestProto(first), encodePushRequestProto(second)])), sample);
    const joined = joinJsonStreams([encodeJsonStreams(first), encodeJsonStreams([]), encodeJsonStreams(second)]);
    assert.deepEqual(JSON.parse(joined.toString()), JSON.parse(encodePushRequestJson(sample).toString()));
    assert.deepEqual(JSON.parse(joinJsonStreams([]).toString()), { streams: [] });
  });

  it('groups queued fragments into pushes of one tenant each, in order, under the size cap', () => {
    const fragment = (tenant: string, bytes: number, entries = 1): PushFragment => ({ tenant, body: Buffer.alloc(bytes), entries });
    const a1 = fragment('a', 400);
    const b1 = fragment('b', 100);
    const a2 = fragment('a', 400);
    const a3 = fragment('a', 400);
    const big = fragment('b', 5000);
    const pushes = groupPushes([a1, b1, a2, a3, big], 1000);
    assert.deepEqual(pushes, [[a1, a2], [b1], [a3], [big]], 'a fragment over the cap on its own still travels, alone');
  });
});
