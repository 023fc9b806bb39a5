import assert from 'node:assert/strict';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { SluiceError } from '@sluice/pdata';
import { decodeExportResponseJson, decodeExportResponseProto, encodeExportResponseJson, encodeExportResponseProto } from '../src/index';

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
});
