import { RateLimitedWarner } from '@sluice/pdata';

/**
 * The bridge's warnings about itself go straight to stderr — never through console, which the
 * bridge may have patched — and at most once a minute per kind, so a collector outage cannot
 * flood the app's own output.
 */
export function stderrWarner(intervalMs = 60_000): RateLimitedWarner {
  return new RateLimitedWarner(intervalMs, (message) => {
    try {
      process.stderr.write(`[@sluice/sdk] ${message}\n`);
    } catch {
      // stderr closed: nothing better to do, and the app must not notice
    }
  });
}
