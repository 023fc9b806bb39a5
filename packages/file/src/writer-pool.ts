/**
 * The open files of one exporter, at most `maxOpen` at a time: when a new file is needed the
 * least recently written one is closed (after its queued writes). A file reopened later is
 * appended to, never truncated again, and not before its previous writer has closed.
 */
import type { FileWriter } from './file-writer';

export class WriterPool {
  private readonly writers = new Map<string, FileWriter>();
  private readonly closing = new Map<string, Promise<void>>();
  private readonly opened = new Set<string>();
  /** Set while `exclusive` runs: writes wait for it, in arrival order. */
  private paused: Promise<unknown> | undefined;

  constructor(
    private readonly maxOpen: number,
    /** `firstOpen` is true the first time this exporter writes the path: only then may it be truncated. */
    private readonly createWriter: (path: string, firstOpen: boolean, openAfter: Promise<void>) => FileWriter,
  ) {}

  /** Queues `data` on the path's writer in the same tick, so an eviction cannot close it in between. */
  write(path: string, data: Buffer): Promise<void> {
    if (this.paused) return this.paused.then(() => this.write(path, data));
    const writer = this.writers.get(path);
    if (writer) {
      this.writers.delete(path); // re-insert: Map order is the recency order
      this.writers.set(path, writer);
      return writer.write(data);
    }
    const closing = this.closing.get(path);
    if (closing) return closing.then(() => this.write(path, data));
    // The new file opens only after the evicted one has closed, so the cap holds at every moment.
    const evicted = this.writers.size >= this.maxOpen ? this.evictLeastRecent() : Promise.resolve();
    const created = this.createWriter(path, !this.opened.has(path), evicted);
    this.opened.add(path);
    this.writers.set(path, created);
    return created.write(data);
  }

  /** Writes waiting or in flight, across every file. */
  get pendingWrites(): number {
    let total = 0;
    for (const writer of this.writers.values()) total += writer.pendingWrites;
    return total;
  }

  async closeAll(): Promise<void> {
    const writers = [...this.writers.values()];
    this.writers.clear();
    await Promise.all([...writers.map((w) => w.close()), ...this.closing.values()]);
  }

  /**
   * Runs `task` with every file closed and no write in flight (a wipe): queued writes finish first,
   * writes that arrive meanwhile wait and then reopen their files, appending (never truncating).
   */
  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    while (this.paused) await this.paused.catch(() => undefined);
    const run = (async () => {
      const writers = [...this.writers.values()];
      this.writers.clear();
      await Promise.all([...writers.map((w) => w.close().catch(() => undefined)), ...this.closing.values()]);
      return task();
    })();
    this.paused = run.catch(() => undefined).finally(() => (this.paused = undefined));
    return run;
  }

  private evictLeastRecent(): Promise<void> {
    const [path, writer] = this.writers.entries().next().value as [string, FileWriter];
    this.writers.delete(path);
    const closed = writer
      .close()
      .catch(() => undefined)
      .finally(() => this.closing.delete(path));
    this.closing.set(path, closed);
    return closed;
  }
}
