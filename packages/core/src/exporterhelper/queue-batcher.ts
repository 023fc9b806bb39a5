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
import type { BoundedQueue, Sized } from './bounded-queue';
import type { BatchConfig } from './config';
import type { QueueForm } from './queue-form';
import { Deadline } from './deadline';

/** What the batcher needs of a queue entry. `parts` counts the pieces of it not yet settled. */
export interface BatchableEntry extends Sized {
  readonly records: number;
  /** Its size for the bytes sizer, when already known. */
  readonly bytes?: number;
  parts: number;
}

/** A slice of one entry's records. */
interface Piece<E, I> {
  entry: E;
  data: I;
  records: number;
  bytes: number;
}

export interface Batch<E, I> {
  data: I;
  records: number;
  /** The entries it holds (whole or in part): each has one part settled when the batch is done. */
  entries: E[];
}

export class QueueBatcher<E extends BatchableEntry, I> {
  /** The rest of an entry cut at `max_size`: the next batch starts with it. */
  private carry: Piece<E, I> | undefined;

  constructor(
    private readonly queue: BoundedQueue<E>,
    private readonly config: BatchConfig | undefined,
    private readonly form: QueueForm<I>,
    /** The entry's data; undefined when it cannot be read (the loader has counted and settled it). */
    private readonly load: (entry: E) => I | undefined | Promise<I | undefined>,
  ) {}

  /** The next batch to send; undefined once the queue is closed and empty. */
  async next(): Promise<Batch<E, I> | undefined> {
    const first = await this.nextPiece(undefined);
    if (!first) return undefined;
    const config = this.config;
    if (!config) return { data: first.data, records: first.records, entries: [first.entry] };

    const pieces: Array<Piece<E, I>> = [];
    let size = 0;
    const deadline = new Deadline(Date.now() + config.flush_timeout);
    try {
      let piece: Piece<E, I> | undefined = first;
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
        piece = await this.nextPiece(deadline);
      }
    } finally {
      deadline.clear();
    }
    const entries: E[] = [];
    for (const { entry } of pieces) if (entries[entries.length - 1] !== entry) entries.push(entry);
    return {
      data: pieces.length === 1 ? pieces[0]!.data : this.form.merge(pieces.map((p) => p.data)),
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
  private cutToFit(piece: Piece<E, I>, room: number, batchIsEmpty: boolean, sizer: BatchConfig['sizer']): Piece<E, I> | undefined {
    const split = this.form.split;
    // Whole requests are not cut to top up a batch by bytes, only when one alone is over the cap;
    // a form that cannot be cut is only ever cut between requests.
    if ((sizer === 'bytes' && !batchIsEmpty) || !split) {
      if (batchIsEmpty) return piece;
      this.carry = piece;
      return undefined;
    }
    const measure = (data: I) => (sizer === 'bytes' ? this.form.bytes(data) : 0);
    let count = sizer === 'items' ? room : Math.max(1, Math.floor((piece.records * room) / piece.bytes));
    let [front, rest] = split(piece.data, count);
    let frontBytes = measure(front);
    // Records differ in size: shrink the estimate until the front really fits (it always ends, at one record).
    while (sizer === 'bytes' && frontBytes > room && count > 1) {
      count = Math.max(1, Math.min(count - 1, Math.floor((count * room) / frontBytes)));
      this.release(front, rest);
      [front, rest] = split(piece.data, count);
      frontBytes = measure(front);
    }
    // A single record over the cap goes alone: there is no rest to carry (an empty request).
    if (count >= piece.records) {
      this.release(front, rest);
      return piece;
    }
    // Its parts replace it: nothing reads the item itself again.
    this.release(piece.data);
    piece.entry.parts++;
    this.carry = { entry: piece.entry, data: rest, records: piece.records - count, bytes: measure(rest) };
    return { entry: piece.entry, data: front, records: count, bytes: frontBytes };
  }

  /** Items no batch will hold, e.g. split attempts that did not fit: their memory goes back to the form. */
  private release(...items: I[]): void {
    for (const item of items) this.form.release?.(item);
  }

  private async nextPiece(deadline: Deadline | undefined): Promise<Piece<E, I> | undefined> {
    if (this.carry) {
      const carry = this.carry;
      this.carry = undefined;
      return carry;
    }
    for (;;) {
      const entry = await this.queue.take(deadline);
      if (!entry) return undefined;
      const loaded = this.load(entry);
      // Awaited only when read back from disk: a memory queue's entry is its data, and an await
      // would cost a promise and a turn of the microtask queue for every entry.
      const data = loaded instanceof Promise ? await loaded : loaded;
      if (data !== undefined) {
        const bytes = this.config?.sizer === 'bytes' ? (entry.bytes ?? this.form.bytes(data)) : 0;
        return { entry, data, records: entry.records, bytes };
      }
    }
  }
}
