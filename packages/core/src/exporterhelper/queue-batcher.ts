/**
 * Forms the batches consumers send from the sending queue's entries (`sending_queue.batch`).
 * Batching happens behind the queue: a request is acknowledged when it is queued, and only the
 * consumer waits for a batch to fill, so no client is ever held on the flush timer.
 *
 * A batch starts with the next entry and takes more until it reaches `min_size`, or until
 * `flush_timeout` has passed since it started, or the queue is closed and empty (shutdown sends
 * what is there at once). An entry that would take it over `max_size` is cut: with the `items`
 * sizer exactly at the cap; with `bytes`, a batch ends before an entry that does not fit, and an
 * entry over the cap on its own is cut into parts that fit. The rest of a cut entry starts the
 * next batch. A single record over the cap is sent alone: it cannot be cut.
 */
import { concatLogs, sizeLogsProto, splitLogs } from '@sluice/pdata';
import type { LogsData } from '@sluice/pdata';
import type { BoundedQueue, Sized } from './bounded-queue';
import type { BatchConfig } from './config';

/** What the batcher needs of a queue entry. `parts` counts the pieces of it not yet settled. */
export interface BatchableEntry extends Sized {
  readonly records: number;
  /** OTLP protobuf bytes, when already known (bytes sizer, or read from disk). */
  readonly bytes?: number;
  parts: number;
}

/** A slice of one entry's records. */
interface Piece<E> {
  entry: E;
  logs: LogsData;
  records: number;
  bytes: number;
}

export interface Batch<E> {
  logs: LogsData;
  records: number;
  /** The entries it holds (whole or in part): each has one part settled when the batch is done. */
  entries: E[];
}

export class QueueBatcher<E extends BatchableEntry> {
  /** The rest of an entry cut at `max_size`: the next batch starts with it. */
  private carry: Piece<E> | undefined;

  constructor(
    private readonly queue: BoundedQueue<E>,
    private readonly config: BatchConfig | undefined,
    /** The entry's data; undefined when it cannot be read (the loader has counted and settled it). */
    private readonly load: (entry: E) => LogsData | undefined | Promise<LogsData | undefined>,
  ) {}

  /** The next batch to send; undefined once the queue is closed and empty. */
  async next(): Promise<Batch<E> | undefined> {
    const first = await this.nextPiece(undefined);
    if (!first) return undefined;
    const config = this.config;
    if (!config) return { logs: first.logs, records: first.records, entries: [first.entry] };

    const pieces: Array<Piece<E>> = [];
    let size = 0;
    const deadline = Date.now() + config.flush_timeout;
    let piece: Piece<E> | undefined = first;
    while (piece) {
      const pieceSize = config.sizer === 'items' ? piece.records : piece.bytes;
      const room = config.max_size > 0 ? config.max_size - size : Infinity;
      if (pieceSize > room) {
        const front = this.cutToFit(piece, room, pieces.length === 0, config.sizer);
        if (front) pieces.push(front);
        break;
      }
      pieces.push(piece);
      size += pieceSize;
      if (size >= config.min_size || (config.max_size > 0 && size >= config.max_size)) break;
      piece = await this.nextPiece(Math.max(0, deadline - Date.now()));
    }
    const entries: E[] = [];
    for (const { entry } of pieces) if (entries[entries.length - 1] !== entry) entries.push(entry);
    return {
      logs: concatLogs(pieces.map((p) => p.logs)),
      records: pieces.reduce((n, p) => n + p.records, 0),
      entries,
    };
  }

  /** Records of the entry cut at `max_size` whose rest was never batched (lost if the queue is in memory). */
  leftover(): { entry: E; records: number } | undefined {
    const carry = this.carry;
    this.carry = undefined;
    return carry && { entry: carry.entry, records: carry.records };
  }

  /**
   * The part of `piece` that fits in `room` (kept as the batch's last piece), the rest carried to
   * the next batch. Undefined when nothing of it goes into this batch.
   */
  private cutToFit(piece: Piece<E>, room: number, batchIsEmpty: boolean, sizer: BatchConfig['sizer']): Piece<E> | undefined {
    if (sizer === 'bytes' && !batchIsEmpty) {
      this.carry = piece; // whole requests are not cut to top up a batch, only when one alone is over the cap
      return undefined;
    }
    let count = sizer === 'items' ? room : Math.max(1, Math.floor((piece.records * room) / piece.bytes));
    let [front, rest] = splitLogs(piece.logs, count);
    let frontBytes = sizer === 'bytes' ? sizeLogsProto(front) : 0;
    // Records differ in size: shrink the estimate until the front really fits (it always ends, at one record).
    while (sizer === 'bytes' && frontBytes > room && count > 1) {
      count = Math.max(1, Math.min(count - 1, Math.floor((count * room) / frontBytes)));
      [front, rest] = splitLogs(piece.logs, count);
      frontBytes = sizeLogsProto(front);
    }
    piece.entry.parts++;
    this.carry = { entry: piece.entry, logs: rest, records: piece.records - count, bytes: sizer === 'bytes' ? sizeLogsProto(rest) : 0 };
    return { entry: piece.entry, logs: front, records: count, bytes: frontBytes };
  }

  private async nextPiece(waitMs: number | undefined): Promise<Piece<E> | undefined> {
    if (this.carry) {
      const carry = this.carry;
      this.carry = undefined;
      return carry;
    }
    for (;;) {
      const started = Date.now();
      const entry = await this.queue.take(waitMs);
      if (!entry) return undefined;
      const logs = await this.load(entry);
      if (logs) {
        const bytes = this.config?.sizer === 'bytes' ? (entry.bytes ?? sizeLogsProto(logs)) : 0;
        return { entry, logs, records: entry.records, bytes };
      }
      if (waitMs !== undefined) waitMs = Math.max(0, waitMs - (Date.now() - started));
    }
  }
}
