import assert from 'node:assert/strict';
import { concatLogs, countLogRecords, decodeLogsProto, decodeLogsProtoLazily, encodeLogsProto } from '@sluice/pdata';
import { ByteArena } from '../src/exporterhelper/byte-arena';
import { joinFragments, otlpProtoBytes, otlpProtoQueueForm } from '../src/exporterhelper/queue-form';
import { makeLogs } from './exporterhelper-helpers';

describe('queue forms: OTLP protobuf fragments', () => {
  const arena = new ByteArena();
  const form = otlpProtoQueueForm(arena);

  it('joins queued requests by concatenation into the request their merged model encodes to', () => {
    const requests = [makeLogs(0, 3), makeLogs(1, 2), makeLogs(2, 4)];
    const merged = form.merge(requests.map((r) => form.prepare(r)));
    assert.deepEqual(joinFragments(merged, arena), encodeLogsProto(concatLogs(requests)));
    assert.deepEqual(decodeLogsProto(joinFragments(merged, arena)), concatLogs(requests));
    assert.equal(form.bytes(merged), joinFragments(merged, arena).length);
  });

  it('cuts a batch at a record count, keeping every record once and in order', () => {
    const item = form.merge([form.prepare(makeLogs(0, 5)), form.prepare(makeLogs(1, 5))]);
    const [front, rest] = form.split!(item, 7);
    const bodies = (fragments: Buffer[]) =>
      decodeLogsProto(joinFragments(fragments, arena)).resourceLogs.flatMap((rl) =>
        rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body)),
      );
    assert.equal(countLogRecords(decodeLogsProto(joinFragments(front, arena))), 7);
    assert.deepEqual([...bodies(front), ...bodies(rest)], bodies(item));
  });

  it('queues the bytes a request arrived as, unchanged and without decoding them', () => {
    // A request ending in a bool attribute written as a two-byte varint (0x81 0x00 = true): valid
    // protobuf any parser reads, which re-encoding would shorten.
    const canonical = encodeLogsProto({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'k', value: true }], droppedAttributesCount: 0 },
          scopeLogs: [],
          schemaUrl: '',
        },
      ],
    });
    assert.deepEqual([...canonical.subarray(-2)], [0x10, 0x01]);
    const bytes = Buffer.from([...canonical.subarray(0, -1), 0x81, 0x00]);
    for (const at of [1, 3, 5, 10]) bytes[at]!++; // each enclosing length grows by the one byte
    assert.deepEqual(decodeLogsProto(bytes), decodeLogsProto(canonical));
    const [fragment] = form.prepare(decodeLogsProtoLazily(bytes).logs);
    assert.ok(fragment!.equals(bytes));
  });

  it('queues a request with a field OTLP does not define re-encoded, as the decoder read it', () => {
    const bytes = Buffer.concat([encodeLogsProto(makeLogs(0, 3)), Buffer.from([0x9a, 0x06, 1, 0x78])]);
    const [fragment] = form.prepare(decodeLogsProtoLazily(bytes).logs);
    assert.ok(fragment!.equals(encodeLogsProto(makeLogs(0, 3))));
  });

  it('copies a small request out of a much larger buffer, so the queue does not pin it', () => {
    const bytes = encodeLogsProto(makeLogs(0, 1));
    const big = Buffer.alloc(bytes.length * 10);
    bytes.copy(big, 100);
    const view = big.subarray(100, 100 + bytes.length);
    const [fragment] = form.prepare(decodeLogsProtoLazily(view).logs);
    assert.ok(fragment!.equals(bytes));
    assert.notEqual(fragment!.buffer, big.buffer);
  });

  // proto3 parsers other than Sluice's (Go google.golang.org/protobuf, upb/Python, Java, C++) refuse a
  // request whose string holds invalid UTF-8, or whose tag or length varint does not fit its value
  // in 32 bits. Sluice accepts both (U+FFFD, low 32 bits), so forwarding such bytes as they arrived
  // makes the destination refuse the whole batch (permanent: dropped), other clients' records too;
  // before, the re-encoded request was valid.
  it('re-encodes a request whose strings are not valid UTF-8, rather than forwarding bytes a strict parser refuses', () => {
    const bytes = encodeLogsProto(makeLogs(0, 2));
    // Seven bytes that are not UTF-8 over the first seven of a body (same length, so the framing holds).
    Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xe2]).copy(bytes, bytes.indexOf(Buffer.from('batch 0 record 1')));
    const forwarded = otlpProtoBytes(decodeLogsProtoLazily(bytes).logs);
    assert.ok(
      forwarded.equals(encodeLogsProto(decodeLogsProto(bytes))),
      'the forwarded strings are valid UTF-8 (U+FFFD), as the decoder read them',
    );
  });

  it('re-encodes a request whose tag varint holds bits beyond 32, rather than forwarding a field number a strict parser refuses', () => {
    const canonical = encodeLogsProto(makeLogs(0, 2));
    assert.equal(canonical[0], 0x0a);
    // Tag 0x0a as a 5-byte varint with bit 32 set: Sluice keeps the low 32 bits (field 1, resource_logs);
    // Go reads field number 2^29 + 1, over the maximum, and refuses the request.
    const bytes = Buffer.concat([Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10]), canonical.subarray(1)]);
    assert.deepEqual(decodeLogsProto(bytes), makeLogs(0, 2), 'Sluice reads it as resource_logs');
    const forwarded = otlpProtoBytes(decodeLogsProtoLazily(bytes).logs);
    assert.ok(forwarded.equals(canonical), 'forwarded as Sluice read it, not with the overlong tag');
  });
});
