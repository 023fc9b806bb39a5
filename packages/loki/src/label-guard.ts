/**
 * Keeps one label from exploding Loki's stream count: within a sliding window, a label may take
 * at most `maxValues` distinct values. A value seen recently is always allowed (its stream
 * already exists); a new value beyond the limit is refused, and the caller moves it to
 * structured metadata instead.
 */
export class LabelValueGuard {
  private readonly lastSeen = new Map<string, Map<string, number>>();

  constructor(
    private readonly maxValues: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `value` may be used as a value of label `name` now. */
  admit(name: string, value: string): boolean {
    let values = this.lastSeen.get(name);
    if (!values) {
      values = new Map();
      this.lastSeen.set(name, values);
    }
    const now = this.now();
    if (values.has(value)) {
      // Re-inserting moves the value to the end, so the map stays ordered by last use.
      values.delete(value);
      values.set(value, now);
      return true;
    }
    if (values.size >= this.maxValues) this.forgetOlderThan(values, now - this.windowMs);
    if (values.size >= this.maxValues) return false;
    values.set(value, now);
    return true;
  }

  private forgetOlderThan(values: Map<string, number>, cutoff: number): void {
    for (const [value, seen] of values) {
      if (seen > cutoff) return;
      values.delete(value);
    }
  }
}
