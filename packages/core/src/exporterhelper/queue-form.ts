/**
 * The form in which a sending queue holds requests between `consume` and the send. By default
 * it is the data model, merged and cut without copying records. An exporter may instead turn
 * each request into its own compact form as it is queued (e.g. uncompressed wire fragments that
 * join by concatenation): decoded objects that wait in a queue outlive the young generation, and
 * promoting and marking them cost more CPU than preparing the request at once.
 */
import { concatLogs, decodeLogsProto, encodeLogsProto, sizeLogsProto, splitLogs, forwardableWireBytesOf } from '@sluice/pdata';
import type { LogsData } from '@sluice/pdata';
import type { ByteArena } from './byte-arena';

export interface QueueForm<I> {
  /** Runs in `consume`, before the request is acknowledged. */
  prepare: (logs: LogsData) => I;
  /** Several requests as one, in order. */
  merge: (items: readonly I[]) => I;
  /** Its size for the `bytes` sizer. */
  bytes: (item: I) => number;
  /**
   * The first `records` records and the rest, as new items that share no memory with `item` (it is
   * released once cut); without it, batches are cut only between requests.
   */
  split?: (item: I, records: number) => [I, I];
  /**
   * Called once nothing reads the item again: the batch it is (merged) was encoded, it was
   * refused, or `split` cut it. Memory the form reuses (a `ByteArena`) goes back here.
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
 * the very bytes they arrived as when nothing changed them (forwarded without decoding), copied
 * into `arena` memory: the request's own Buffer dies young, and the fragments go back to the
 * arena once their batch's encode settles (it joins them: `joinFragments`). `resource_logs` is a repeated field, so
 * fragments join by concatenation into one request; cutting one (a request over `max_size`
 * alone) decodes, splits and encodes again.
 */
export function otlpProtoQueueForm(arena: ByteArena): QueueForm<Buffer[]> {
  return {
    prepare: (logs) => [arena.copy(otlpProtoBytes(logs))],
    merge: (items) => items.flat(),
    bytes: (item) => item.reduce((n, fragment) => n + fragment.length, 0),
    split: (item, records) => {
      const [front, rest] = splitLogs(decodeLogsProto(Buffer.concat(item)), records);
      return [[encodeLogsProto(front)], [encodeLogsProto(rest)]];
    },
    release: (item) => {
      for (const fragment of item) arena.giveBack(fragment);
    },
  };
}

/**
 * One ExportLogsServiceRequest from the fragments of an `otlpProtoQueueForm` item, in `arena`
 * memory held apart from the fragments, which go back to the arena when the encode ends while the
 * request is still being sent (give it back with the payload): a view of them when they lie one
 * after another, else a copy.
 */
export function joinFragments(item: readonly Buffer[], arena: ByteArena): Buffer {
  const span = arena.span(item);
  if (span !== undefined) return span;
  const joined = arena.take(item.reduce((n, fragment) => n + fragment.length, 0));
  let pos = 0;
  for (const fragment of item) pos += fragment.copy(joined, pos);
  return joined;
}

/**
 * The request as OTLP protobuf: the bytes it arrived as when they still describe it (and any
 * parser reads them so), else encoded. A view of the request's bytes: whoever keeps it copies it.
 */
export function otlpProtoBytes(logs: LogsData): Buffer {
  const wire = forwardableWireBytesOf(logs);
  return wire === undefined ? encodeLogsProto(logs) : Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength);
}
