/**
 * Reads an HTTP `Retry-After` value (delay-seconds or an HTTP-date) as milliseconds from `now`;
 * undefined when absent or unreadable, so a malformed header falls back to the normal backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
