/**
 * Micro-benchmark of the Loki path after decode: CPU-seconds per million records to build
 * streams with their lines and metadata, encode the protobuf PushRequest, and snappy it — on
 * the 100-record request of payload.ts, for `format: raw` and `format: json`.
 *
 *   node bench/dist/loki-codec.js [seconds-per-case]
 */
import { encodePushRequestProto, mapToStreams, resolveMappingOptions, snappyCompress, snappyImplementation } from '@sluice/loki';
import type { LineFormat, PushRequest } from '@sluice/loki';
import { cpuPerMillionRecords } from './measure';
import { benchRequest } from './payload';

const RECORDS = 100;

export interface LokiCodecFigures {
  format: LineFormat;
  streams: number;
  encode: number;
  snappy: number;
  total: number;
  bytesPerRecord: { protobuf: number; snappy: number };
}

export function runLokiCodecBench(seconds = 2): LokiCodecFigures[] {
  const logs = benchRequest(RECORDS);
  const receiveTimeNs = BigInt(Date.now()) * 1_000_000n;
  const figures: LokiCodecFigures[] = [];
  for (const format of ['raw', 'json'] as const) {
    const options = resolveMappingOptions({ format });
    const requests: PushRequest[] = mapToStreams(logs, options, receiveTimeNs);
    const message = encodePushRequestProto(requests[0]!.streams);
    const compressed = snappyCompress(message);
    const streams = cpuPerMillionRecords(() => mapToStreams(logs, options, receiveTimeNs), RECORDS, seconds);
    const encode = cpuPerMillionRecords(() => encodePushRequestProto(requests[0]!.streams), RECORDS, seconds);
    const snappy = cpuPerMillionRecords(() => snappyCompress(message), RECORDS, seconds);
    const total = cpuPerMillionRecords(
      () => snappyCompress(encodePushRequestProto(mapToStreams(logs, options, receiveTimeNs)[0]!.streams)),
      RECORDS,
      seconds,
    );
    figures.push({
      format,
      streams,
      encode,
      snappy,
      total,
      bytesPerRecord: { protobuf: Math.round(message.length / RECORDS), snappy: Math.round(compressed.length / RECORDS) },
    });
  }
  return figures;
}

function main(): void {
  const seconds = Number(process.argv[2] ?? 2);
  console.log(`Loki codec, ${RECORDS}-record requests, snappy: ${snappyImplementation} (CPU-s per million records)`);
  for (const f of runLokiCodecBench(seconds)) {
    console.log(
      `format ${f.format.padEnd(4)}  streams+lines ${f.streams.toFixed(2)}  protobuf ${f.encode.toFixed(2)}  snappy ${f.snappy.toFixed(2)}` +
        `  all together ${f.total.toFixed(2)}  (${f.bytesPerRecord.protobuf} B/record, ${f.bytesPerRecord.snappy} snappied)`,
    );
  }
}

if (require.main === module) main();
