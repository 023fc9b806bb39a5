/**
 * The in-memory heart of the sending queue: a FIFO bounded by a capacity in sizer units
 * (batches or log records). Room is reserved before an entry is pushed, so a persistent queue can
 * hold its place while the entry is written to disk, and released when a consumer takes it.
 */
import type { Deadline } from './deadline';

export interface Sized {
  /** In sizer units: 1 per batch for `requests`, the record count for `items`. */
  readonly size: number;
}

export class BoundedQueue<T extends Sized> {
  private entries: T[] = [];
  private head = 0;
  private used = 0;
  private closed = false;
  private readonly takers: Array<(entry: T | undefined) => void> = [];
  private readonly blockedOffers: Array<{ size: number; admit: (admitted: boolean) => void }> = [];
  /**
   * The size `tryReserve` last refused for lack of room; until that much is free (or the queue is
   * empty) the queue is full for every size. A refused request comes back from its sender: without
   * this, small requests would keep taking the room that frees up and a large one could be refused
   * forever (the FIFO fairness `blockedOffers` gives blocking offers). It also lets a caller refuse
   * a request (`isFull`) before the work of preparing it.
   */
  private wanted: number | undefined;

  constructor(readonly capacity: number) {}

  /** Used room in sizer units, reserved entries included. */
  size(): number {
    return this.used;
  }

  /** Entries waiting to be taken. */
  length(): number {
    return this.entries.length - this.head;
  }

  /** Whether `tryReserve` refuses every size, until room frees up for the last size it refused. */
  isFull(): boolean {
    return this.wanted !== undefined;
  }

  /** Reserves room now, or returns false when it does not fit, the queue is full, or it is closed. */
  tryReserve(size: number): boolean {
    if (this.closed || this.blockedOffers.length > 0 || this.wanted !== undefined) return false;
    if (!this.fits(size)) {
      this.wanted = size;
      return false;
    }
    this.setUsed(this.used + size);
    return true;
  }

  /** Reserves room, waiting in line for it; resolves false if the queue closes first. */
  reserve(size: number): Promise<boolean> {
    if (this.tryReserve(size)) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((admit) => this.blockedOffers.push({ size, admit }));
  }

  /** Gives back room that was reserved for an entry that never came (e.g. its disk write failed). */
  release(size: number): void {
    this.setUsed(this.used - size);
    this.admitBlocked();
  }

  /** Adds an entry whose room was reserved. Accepted even when closed: its reservation predates the close. */
  push(entry: T): void {
    const taker = this.takers.shift();
    if (taker) {
      this.release(entry.size);
      taker(entry);
      return;
    }
    this.entries.push(entry);
  }

  /** Adds an entry without asking for room: recovered from disk, it was accepted once already. */
  restore(entry: T): void {
    this.setUsed(this.used + entry.size);
    this.push(entry);
  }

  /**
   * The next entry; waits for one, until `deadline` passes if given. Undefined once the queue is
   * closed and empty, or when the deadline passes first.
   */
  take(deadline?: Deadline): Promise<T | undefined> {
    if (this.head < this.entries.length) return Promise.resolve(this.shift());
    if (this.closed || deadline?.passed()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.takers.push(resolve);
      deadline?.onPass(() => {
        const index = this.takers.indexOf(resolve);
        if (index < 0) return; // served already
        this.takers.splice(index, 1);
        resolve(undefined);
      });
    });
  }

  /** Refuses further reservations; blocked offers get false; idle takers get undefined. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const offer of this.blockedOffers.splice(0)) offer.admit(false);
    for (const taker of this.takers.splice(0)) taker(undefined);
  }

  /** Closes the queue and hands back everything still in it. */
  drain(): T[] {
    this.close();
    const rest = this.entries.slice(this.head);
    this.entries = [];
    this.head = 0;
    for (const entry of rest) this.setUsed(this.used - entry.size);
    return rest;
  }

  // An entry bigger than the whole capacity still gets in when the queue is empty, or it could never be sent.
  private fits(size: number): boolean {
    return this.used === 0 || this.used + size <= this.capacity;
  }

  private shift(): T {
    const entry = this.entries[this.head]!;
    this.entries[this.head++] = undefined as unknown as T;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.release(entry.size);
    return entry;
  }

  private admitBlocked(): void {
    while (this.blockedOffers.length > 0 && this.fits(this.blockedOffers[0]!.size)) {
      const offer = this.blockedOffers.shift()!;
      this.setUsed(this.used + offer.size);
      offer.admit(true);
    }
  }

  private setUsed(used: number): void {
    this.used = used;
    if (this.wanted !== undefined && this.fits(this.wanted)) this.wanted = undefined;
  }
}
