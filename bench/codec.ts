/**
 * Micro-benchmark of the OTLP logs codec: CPU-seconds per million records for protobuf decode and
 * encode and OTLP/JSON decode and encode, on the request shape of payload.ts.
 *
 *   node bench/dist/codec.js [seconds-per-case]
 */
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '@sluice/pdata';
import { cpuPerMillionRecords } from './measure';
import { benchRequest } from './payload';

function main(): void {
  const seconds = Number(process.argv[2] ?? 2);
  const request = benchRequest(100);
  const proto = encodeLogsProto(request);
  const json = encodeLogsJson(request);
  console.log(
    `request: 100 records, ${proto.length} protobuf bytes (${(proto.length / 100).toFixed(0)} a record), ${json.length} JSON bytes`,
  );
  const cases: [string, () => unknown][] = [
    ['protobuf decode', () => decodeLogsProto(proto)],
    ['protobuf encode', () => encodeLogsProto(request)],
    ['OTLP/JSON decode', () => decodeLogsJson(json)],
    ['OTLP/JSON encode', () => encodeLogsJson(request)],
  ];
  for (const [name, fn] of cases) {
    console.log(`${name.padEnd(18)} ${cpuPerMillionRecords(fn, 100, seconds).toFixed(2)} CPU-s per million records`);
  }
}

if (require.main === module) main();
