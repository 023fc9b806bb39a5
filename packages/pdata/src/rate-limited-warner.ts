/** Structured fields passed along with a warning (a logger's fields). */
type LogFields = Record<string, unknown>;

/**
 * Passes a warning on at most once per interval per kind, so a condition that repeats for every
 * batch (an outage, a label over its limit) is reported without flooding the log; whoever counts
 * the occurrences (a metric, the SDK's stats) has the full story.
 */
export class RateLimitedWarner {
  private readonly lastWarned = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly write: (message: string, fields?: LogFields) => void,
    private readonly now: () => number = Date.now,
  ) {}

  warn(kind: string, message: string, fields?: LogFields): void {
    const now = this.now();
    const last = this.lastWarned.get(kind);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.lastWarned.set(kind, now);
    this.write(message, fields);
  }
}
