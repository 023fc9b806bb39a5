/**
 * Lets one event per key through per interval, so a failure repeating on every request is logged
 * once per interval instead of flooding the log.
 */
export class RateLimiter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` has not been let through within the interval; keys should be few (ids, labels). */
  allow(key: string): boolean {
    const now = this.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }
}
