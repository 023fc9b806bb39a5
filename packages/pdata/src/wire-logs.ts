/**
 * A request that keeps the protobuf bytes it arrived as, and decodes them only when someone reads
 * the model. Exporters that can work from the bytes (an OTLP exporter forwarding them, a
 * transcoder writing Loki pushes or JSONL lines) ask `wireBytesOf` and never pay for decoding;
 * everyone else reads `resourceLogs` as from any LogsData.
 *
 * The bytes are only true to the data while nobody changes it: a pipeline whose processors mutate
 * data calls `forgetWireBytes` before they run, and anything built anew (a copy, a merged batch)
 * has no bytes at all.
 */
import { decodeLogsProto } from './codec/proto-decode';
import { scanLogsProto } from './codec/proto-scan';
import type { CountedLogsData, LogsData, ResourceLogs } from './model';

class WireLogs implements CountedLogsData {
  private decoded: ResourceLogs[] | undefined;

  constructor(
    public wire: Uint8Array | undefined,
    private readonly source: Uint8Array,
    private readonly count: number,
  ) {}

  /** Only while the bytes still stand for the data: once it may have changed, it is walked. */
  get knownLogRecordCount(): number | undefined {
    return this.wire === undefined ? undefined : this.count;
  }

  get resourceLogs(): ResourceLogs[] {
    return (this.decoded ??= decodeLogsProto(this.source).resourceLogs);
  }

  set resourceLogs(value: ResourceLogs[]) {
    this.decoded = value;
    this.wire = undefined;
  }
}

export interface WireDecoded {
  logs: LogsData;
  logRecords: number;
  resourceLogs: number;
}

/**
 * Checks an OTLP logs protobuf body (throwing SluiceError('SLUICE_BAD_DATA') as decodeLogsProto
 * would) and returns data that decodes on first read and carries the bytes for `wireBytesOf`.
 */
export function decodeLogsProtoLazily(bytes: Uint8Array): WireDecoded {
  const shape = scanLogsProto(bytes);
  return { logs: new WireLogs(bytes, bytes, shape.logRecords), logRecords: shape.logRecords, resourceLogs: shape.resourceLogs };
}

/** The OTLP protobuf bytes this data is exactly the encoding of, when known. */
export function wireBytesOf(logs: LogsData): Uint8Array | undefined {
  return logs instanceof WireLogs ? logs.wire : undefined;
}

/** Called before the data may be changed in place: its bytes would no longer match. */
export function forgetWireBytes(logs: LogsData): void {
  if (logs instanceof WireLogs) logs.wire = undefined;
}
