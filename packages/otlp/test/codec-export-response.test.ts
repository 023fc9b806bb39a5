import assert from 'node:assert/strict';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { SluiceError } from '@sluice/pdata';
import { decodeExportResponseJson, decodeExportResponseProto, encodeExportResponseJson, encodeExportResponseProto } from '../src/index';
import { exportResponseOutcome } from '../src/codec/export-response';

describe('codec: ExportLogsServiceResponse', () => {
  const partial = { rejectedLogRecords: 3, errorMessage: 'entry too far behind ✗' };

  it('is empty when nothing was rejected', () => {
    assert.equal(encodeExportResponseProto().length, 0);
    assert.equal(encodeExportResponseJson(), '{}');
    assert.equal(decodeExportResponseProto(new Uint8Array(0)), undefined);
    assert.equal(decodeExportResponseJson('{}'), undefined);
    assert.equal(decodeExportResponseJson(''), undefined);
    assert.deepEqual(ProtobufLogsSerializer.deserializeResponse(encodeExportResponseProto()), {});
  });

  it('carries partial_success in both encodings, readable by the official deserializers', () => {
    const proto = encodeExportResponseProto(partial);
    assert.equal(Buffer.from(proto).toString('hex'), '0a1c' + '0803' + '1218' + Buffer.from(partial.errorMessage).toString('hex'));
    assert.deepEqual(decodeExportResponseProto(proto), partial);
    assert.deepEqual(ProtobufLogsSerializer.deserializeResponse(proto), { partialSuccess: partial });

    const json = encodeExportResponseJson(partial);
    assert.equal(json, '{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"entry too far behind ✗"}}');
    assert.deepEqual(decodeExportResponseJson(json), partial);
    assert.deepEqual(decodeExportResponseJson(Buffer.from(json)), partial);
    assert.deepEqual(JsonLogsSerializer.deserializeResponse(Buffer.from(json)), {
      partialSuccess: { rejectedLogRecords: '3', errorMessage: partial.errorMessage },
    });
  });

  it('keeps a partial_success that only warns (nothing rejected)', () => {
    const warning = { rejectedLogRecords: 0, errorMessage: 'slow down' };
    assert.deepEqual(decodeExportResponseProto(encodeExportResponseProto(warning)), warning);
    assert.deepEqual(decodeExportResponseJson(encodeExportResponseJson(warning)), warning);
    assert.deepEqual(decodeExportResponseJson('{"partial_success":{"rejected_log_records":7}}'), {
      rejectedLogRecords: 7,
      errorMessage: '',
    });
  });

  it('rejects malformed responses with bad data', () => {
    assert.throws(
      () => decodeExportResponseProto(Uint8Array.from([0x0a, 0x05, 0x08])),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_BAD_DATA' && /runs past the end/.test(err.message),
    );
    assert.throws(
      () => decodeExportResponseJson('{"partialSuccess":'),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_BAD_DATA',
    );
    assert.throws(
      () => decodeExportResponseJson('{"partialSuccess":{"rejectedLogRecords":true}}'),
      (err: unknown) => err instanceof SluiceError && err.message.includes('partialSuccess.rejectedLogRecords: expected an integer'),
    );
  });

  it("turns a response into the exporters' outcome: all accepted, or the rejected records of a partial success", () => {
    assert.deepEqual(exportResponseOutcome(undefined, 'proto'), { ok: true });
    assert.deepEqual(exportResponseOutcome(encodeExportResponseProto(), 'proto'), { ok: true });
    const rejected = { ok: true, rejectedRecords: 3, message: partial.errorMessage };
    assert.deepEqual(exportResponseOutcome(encodeExportResponseProto(partial), 'proto'), rejected);
    assert.deepEqual(exportResponseOutcome(Buffer.from(encodeExportResponseJson(partial)), 'json'), rejected);
    assert.deepEqual(exportResponseOutcome(encodeExportResponseProto({ rejectedLogRecords: 2, errorMessage: '' }), 'proto'), {
      ok: true,
      rejectedRecords: 2,
      message: 'the server rejected part of the batch',
    });
    assert.deepEqual(
      exportResponseOutcome(Buffer.from('not json'), 'json'),
      { ok: true },
      'an unreadable answer to a success is still a success',
    );
  });
});
