/**
 * The form in which a sending queue holds requests between `consume` and the send. By default
 * it is the data model, merged and cut without copying records. An exporter may instead turn
 * each request into its own compact form as it is queued (e.g. uncompressed wire fragments that
 * join by concatenation): decoded objects that wait in a queue outlive the young generation, and
 * promoting and marking them cost more CPU than preparing the request at once.
 */
import { concatLogs, sizeLogsProto, splitLogs } from '@sluice/pdata';
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
}

/** The data model itself; `bytes` is its OTLP protobuf size, as otelcol's bytes sizer measures. */
export const modelQueueForm: QueueForm<LogsData> = {
  prepare: (logs) => logs,
  merge: concatLogs,
  bytes: sizeLogsProto,
  split: splitLogs,
};
