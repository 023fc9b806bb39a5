/**
 * What one send attempt came to. Errors are values, not exceptions: the retry loop decides from
 * `retryable` and `retryAfterMs`, and the reason reaches the log and `health()` unchanged.
 */
export type SendOutcome =
  /** `rejectedRecords`: the server accepted the rest (partial success); counted and logged, not retried. */
  | { ok: true; rejectedRecords?: number; message?: string }
  /** `retryAfterMs`: the server's Retry-After; `status`: e.g. the HTTP status or gRPC code, for logs. */
  | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number; status?: string };
