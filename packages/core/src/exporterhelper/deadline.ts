/**
 * A moment that ends waits: a batch waits for entry after entry until its flush timeout, and one
 * timer serves them all. A timer armed and cleared for every entry taken cost more than the rest
 * of handing the entry over.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private end: (() => void) | undefined;

  /** `at` in Date.now() milliseconds. */
  constructor(private readonly at: number) {}

  passed(): boolean {
    return Date.now() >= this.at;
  }

  /** Calls `end` when the deadline passes, unless another wait's `end` replaces it first or the deadline is cleared. */
  onPass(end: () => void): void {
    this.end = end;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const pending = this.end;
      this.end = undefined;
      pending?.();
    }, this.at - Date.now());
  }

  /** Ends the deadline's timer: nothing waits for it any more. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.end = undefined;
  }
}
