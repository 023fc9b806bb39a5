/**
 * A request that keeps the protobuf bytes it arrived as, and decodes them only when someone reads
 * the model. Exporters that can work from the bytes (an OTLP exporter forwarding them, a
 * transcoder writing Loki pushes or JSONL lines) ask for them and never pay for decoding;
 * everyone else reads `resourceLogs` as from any LogsData.
 *
 * The bytes are only true to the data while nobody changes it: a pipeline whose processors mutate
 * data calls `forgetWireBytes` before they run, and anything built anew (a copy, a merged batch)
 * has no bytes at all.
 */
import { decodeLogsProto } from './codec/proto-decode';
import { scanLogsProto } from './codec/proto-scan';
import { countLogRecords, type CountedLogsData, type LogsData, type ResourceLogs } from './model';

class WireLogs implements CountedLogsData {
  private decoded: ResourceLogs[] | undefined;

  constructor(
    /** The request's bytes while they are still needed: to decode, or because they still describe the data. */
    private bytes: Uint8Array | undefined,
    private valid: boolean,
    private readonly count: number,
    /** Whether other parsers read the bytes as Sluice does. */
    private readonly forwardable: boolean,
  ) {}

  get resourceLogs(): ResourceLogs[] {
    if (this.decoded === undefined) {
      this.decoded = decodeLogsProto(this.bytes!).resourceLogs;
      if (!this.valid) this.bytes = undefined;
    }
    return this.decoded;
  }

  set resourceLogs(value: ResourceLogs[]) {
    this.decoded = value;
    this.forget();
  }

  /** Only while the bytes still stand for the data: once it may have changed, it is walked. */
  get knownLogRecordCount(): number | undefined {
    return this.valid ? this.count : undefined;
  }

  wire(): Uint8Array | undefined {
    return this.valid ? this.bytes : undefined;
  }

  forwardableWire(): Uint8Array | undefined {
    return this.valid && this.forwardable ? this.bytes : undefined;
  }

  forget(): void {
    this.valid = false;
    if (this.decoded !== undefined) this.bytes = undefined;
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
  // Strings are checked now rather than when an exporter forwards the bytes: walking the request
  // twice would cost more than checking strings that are not forwarded.
  const shape = scanLogsProto(bytes, { forwarding: true });
  const logs = new WireLogs(bytes, true, shape.logRecords, shape.forwardable);
  return { logs, logRecords: shape.logRecords, resourceLogs: shape.resourceLogs };
}

/**
 * A receiver's decoding of a protobuf request: deferred (`decodeLogsProtoLazily`) when something
 * downstream works from the bytes, else at once — scanning first would only add work for data
 * that is decoded anyway. Throws SluiceError('SLUICE_BAD_DATA') either way.
 */
export function decodeLogsProtoRequest(bytes: Uint8Array, keepBytes: boolean): WireDecoded {
  if (keepBytes) return decodeLogsProtoLazily(bytes);
  const logs = decodeLogsProto(bytes);
  return { logs, logRecords: countLogRecords(logs), resourceLogs: logs.resourceLogs.length };
}

/**
 * The OTLP protobuf bytes this data is exactly the decoding of, when known: for readers that
 * decode them as Sluice does (a transcoder).
 */
export function wireBytesOf(logs: LogsData): Uint8Array | undefined {
  return logs instanceof WireLogs ? logs.wire() : undefined;
}

/**
 * The same bytes, only when any protobuf parser reads them as Sluice does: every string valid
 * UTF-8 (Sluice reads bad bytes as U+FFFD, others refuse the request) and every tag and length
 * within 32 bits. What is sent on as it arrived must not make the next hop refuse a whole batch.
 */
export function forwardableWireBytesOf(logs: LogsData): Uint8Array | undefined {
  return logs instanceof WireLogs ? logs.forwardableWire() : undefined;
}

/** Called before the data may be changed in place: its bytes would no longer match. */
export function forgetWireBytes(logs: LogsData): void {
  if (logs instanceof WireLogs) logs.forget();
}
