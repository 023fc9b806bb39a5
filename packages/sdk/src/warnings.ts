/**
 * Warnings about the bridge itself go straight to stderr — never through console, which the
 * bridge may have patched — and at most once per interval per kind, so a collector outage cannot
 * flood the app's own output.
 */
export class RateLimitedWarner {
  private readonly lastWarned = new Map<string, number>();

  constructor(
    private readonly intervalMs = 60_000,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly now: () => number = Date.now,
  ) {}

  warn(kind: string, message: string): void {
    const now = this.now();
    const last = this.lastWarned.get(kind);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.lastWarned.set(kind, now);
    try {
      this.write(`[@sluice/sdk] ${message}\n`);
    } catch {
      // stderr closed: nothing better to do, and the app must not notice
    }
  }
}
