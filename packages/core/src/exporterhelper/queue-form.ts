/**
 * The form in which a sending queue holds requests between `consume` and the send. By default
 * it is the data model, merged and cut without copying records. An exporter may instead turn
 * each request into its own compact form as it is queued (e.g. uncompressed wire fragments that
 * join by concatenation): decoded objects that wait in a queue outlive the young generation, and
 * promoting and marking them cost more CPU than preparing the request at once.
 */
import { concatLogs, decodeLogsProto, encodeLogsProto, sizeLogsProto, splitLogs, forwardableWireBytesOf } from '@sluice/pdata';
import type { LogsData } from '@sluice/pdata';

export interface QueueForm<I> {
  /** Runs in `consume`, before the request is acknowledged. */
  prepare: (logs: LogsData) => I;
  /** Several requests as one, in order. */
  merge: (items: readonly I[]) => I;
  /** Its size for the `bytes` sizer. */
  bytes: (item: I) => number;
  /** The first `records` records and the rest; without it, batches are cut only between requests. */
  split?: (item: I, records: number) => [I, I];
  /**
   * Called once nothing reads the item again: the batch it is (merged) was encoded, or it was
   * refused. Memory the form reuses (a `ByteArena`) goes back here.
   */
  release?: (item: I) => void;
}

/** The data model itself; `bytes` is its OTLP protobuf size, as otelcol's bytes sizer measures. */
export const modelQueueForm: QueueForm<LogsData> = {
  prepare: (logs) => logs,
  merge: concatLogs,
  bytes: sizeLogsProto,
  split: splitLogs,
};

/**
 * Requests as OTLP protobuf (ExportLogsServiceRequest) fragments, encoded as they are queued, or
 * the very bytes they arrived as when nothing changed them (forwarded without decoding).
 * `resource_logs` is a repeated field, so fragments join by concatenation into one request;
 * cutting one (a request over `max_size` alone) decodes, splits and encodes again.
 */
export const otlpProtoQueueForm: QueueForm<Buffer[]> = {
  prepare: (logs) => [otlpProtoBytes(logs)],
  merge: (items) => items.flat(),
  bytes: (item) => item.reduce((n, fragment) => n + fragment.length, 0),
  split: (item, records) => {
    const [front, rest] = splitLogs(decodeLogsProto(joinFragments(item)), records);
    return [[encodeLogsProto(front)], [encodeLogsProto(rest)]];
  },
};

/** One ExportLogsServiceRequest from the fragments of an `otlpProtoQueueForm` item. */
export function joinFragments(item: readonly Buffer[]): Buffer {
  return item.length === 1 ? item[0]! : Buffer.concat(item);
}

/** The request as OTLP protobuf: the bytes it arrived as when they still describe it (and any parser reads them so), else encoded. */
export function otlpProtoBytes(logs: LogsData): Buffer {
  const wire = forwardableWireBytesOf(logs);
  if (wire === undefined) return encodeLogsProto(logs);
  // A small body may be a view into a much larger socket read: a queue must not pin that.
  return wire.byteLength * 2 < wire.buffer.byteLength ? Buffer.from(wire) : Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
}
