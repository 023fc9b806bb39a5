import assert from 'node:assert/strict';
import { concatLogs, countLogRecords, decodeLogsProto, decodeLogsProtoLazily, encodeLogsProto } from '@sluice/pdata';
import { joinFragments, otlpProtoQueueForm } from '../src/exporterhelper/queue-form';
import { makeLogs } from './exporterhelper-helpers';

describe('queue forms: OTLP protobuf fragments', () => {
  it('joins queued requests by concatenation into the request their merged model encodes to', () => {
    const requests = [makeLogs(0, 3), makeLogs(1, 2), makeLogs(2, 4)];
    const merged = otlpProtoQueueForm.merge(requests.map((r) => otlpProtoQueueForm.prepare(r)));
    assert.deepEqual(joinFragments(merged), encodeLogsProto(concatLogs(requests)));
    assert.deepEqual(decodeLogsProto(joinFragments(merged)), concatLogs(requests));
    assert.equal(otlpProtoQueueForm.bytes(merged), joinFragments(merged).length);
  });

  it('cuts a batch at a record count, keeping every record once and in order', () => {
    const item = otlpProtoQueueForm.merge([otlpProtoQueueForm.prepare(makeLogs(0, 5)), otlpProtoQueueForm.prepare(makeLogs(1, 5))]);
    const [front, rest] = otlpProtoQueueForm.split!(item, 7);
    const bodies = (fragments: Buffer[]) =>
      decodeLogsProto(joinFragments(fragments)).resourceLogs.flatMap((rl) =>
        rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body)),
      );
    assert.equal(countLogRecords(decodeLogsProto(joinFragments(front))), 7);
    assert.deepEqual([...bodies(front), ...bodies(rest)], bodies(item));
  });

  it('queues the bytes a request arrived as, unchanged and without decoding them', () => {
    // A field OTLP does not define (99, a string) survives only if the bytes are not re-encoded.
    const bytes = Buffer.concat([encodeLogsProto(makeLogs(0, 3)), Buffer.from([0x9a, 0x06, 1, 0x78])]);
    const [fragment] = otlpProtoQueueForm.prepare(decodeLogsProtoLazily(bytes).logs);
    assert.ok(fragment!.equals(bytes));
  });

  it('copies a small request out of a much larger buffer, so the queue does not pin it', () => {
    const bytes = encodeLogsProto(makeLogs(0, 1));
    const big = Buffer.alloc(bytes.length * 10);
    bytes.copy(big, 100);
    const view = big.subarray(100, 100 + bytes.length);
    const [fragment] = otlpProtoQueueForm.prepare(decodeLogsProtoLazily(view).logs);
    assert.ok(fragment!.equals(bytes));
    assert.notEqual(fragment!.buffer, big.buffer);
  });
});
