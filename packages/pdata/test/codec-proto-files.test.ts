import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { logsData } from './arbitraries';
import { decodeLogsProto, encodeLogsProto } from '../src/index';

// The hand-typed .proto files are documentation, but they must also be right: protobufjs, an
// independent implementation reading them by reflection, has to read and write every field the
// codec writes with the same meaning (a field number it did not know would be dropped).

function loadRequestType(): protobuf.Type {
  const protoDir = path.resolve(__dirname, '../../proto');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(protoDir, target);
  root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto');
  root.resolveAll();
  return root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
}

describe('codec: the .proto files', () => {
  const requestType = loadRequestType();

  it('describe the wire format: protobufjs reflection round-trips what the codec writes', () => {
    fc.assert(
      fc.property(logsData, (logs) => {
        const viaProtobufjs = requestType.encode(requestType.decode(encodeLogsProto(logs))).finish();
        assert.deepEqual(decodeLogsProto(viaProtobufjs), logs);
      }),
      { numRuns: 200 },
    );
  });
});
