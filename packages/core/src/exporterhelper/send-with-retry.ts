import { ConsumeError } from '@sluice/pdata';
import type { Logger } from '../logger';
import { ExponentialBackoff } from '@sluice/pdata';
import type { Clock } from './clock';
import type { RetryConfig } from './config';
import type { SendOutcome } from './send-outcome';

/**
 * A server may ask for any Retry-After; past this we wait this long instead, so one odd header
 * cannot park a consumer for hours (max_elapsed_time still bounds the whole retry).
 */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** How a batch's delivery ended, after every attempt it was given. */
export type DeliveryResult =
  | { kind: 'sent'; attempts: number; rejectedRecords: number; message?: string }
  /** `permanent`: the server refused the data itself; otherwise retries were exhausted or disabled. */
  | { kind: 'failed'; attempts: number; permanent: boolean; reason: string; retryAfterMs?: number }
  /** The exporter was stopped (shutdown deadline) before the batch got through. */
  | { kind: 'interrupted'; attempts: number };

export interface RetryOptions {
  retry: RetryConfig;
  /** Per attempt, in milliseconds; 0 = none. */
  timeout: number;
  clock: Clock;
  random: () => number;
  logger: Logger;
  /** Aborted at the shutdown deadline: ends the current attempt and any wait. */
  stop: AbortSignal;
  /** Aborted when no retry may start (a persistent queue shutting down): ends any wait; the attempt in flight runs on. */
  stopRetrying?: AbortSignal;
  /** Told about every attempt, e.g. to record its duration. */
  onAttempt(outcome: SendOutcome, seconds: number): void;
}

export async function sendWithRetry(
  attempt: (signal: AbortSignal) => Promise<SendOutcome>,
  options: RetryOptions,
): Promise<DeliveryResult> {
  const { retry, clock, stop } = options;
  const started = clock.now();
  const backoff = new ExponentialBackoff(retry, options.random);
  for (let attempts = 1; ; attempts++) {
    const outcome = await attemptOnce(attempt, options);
    if (outcome.ok) return { kind: 'sent', attempts, rejectedRecords: outcome.rejectedRecords ?? 0, message: outcome.message };
    if (stop.aborted) return { kind: 'interrupted', attempts };
    if (!outcome.retryable) return { kind: 'failed', attempts, permanent: true, reason: outcome.reason };
    if (!retry.enabled) return { kind: 'failed', attempts, permanent: false, reason: outcome.reason, retryAfterMs: outcome.retryAfterMs };

    if (options.stopRetrying?.aborted) return { kind: 'interrupted', attempts };
    const computed = backoff.next();
    const wait = outcome.retryAfterMs === undefined ? computed : Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS);
    const outOfRetries = retry.max_retries !== undefined && attempts > retry.max_retries;
    if (outOfRetries || (retry.max_elapsed_time > 0 && clock.now() - started + wait > retry.max_elapsed_time)) {
      return {
        kind: 'failed',
        attempts,
        permanent: false,
        reason: `${outcome.reason} (gave up after ${attempts} attempts)`,
        retryAfterMs: outcome.retryAfterMs,
      };
    }
    options.logger.info('send failed; will retry', {
      reason: outcome.reason,
      status: outcome.status,
      retry_in_ms: Math.round(wait),
      attempts,
    });
    await clock.sleep(wait, options.stopRetrying ?? stop);
    if (stop.aborted || options.stopRetrying?.aborted) return { kind: 'interrupted', attempts };
  }
}

/**
 * One attempt, bounded by the timeout and the stop signal. The attempt is raced against its abort
 * rather than trusted to honour the signal, so a send that ignores it cannot stall a consumer.
 */
async function attemptOnce(attempt: (signal: AbortSignal) => Promise<SendOutcome>, options: RetryOptions): Promise<SendOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    options.timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, options.timeout)
      : undefined;
  const onStop = () => controller.abort();
  options.stop.addEventListener('abort', onStop, { once: true });
  if (options.stop.aborted) controller.abort();

  let settle: () => void = () => {};
  const aborted = new Promise<SendOutcome>((resolve) => {
    settle = () =>
      resolve({ ok: false, retryable: true, reason: timedOut ? `timed out after ${options.timeout}ms` : 'interrupted by shutdown' });
    if (controller.signal.aborted) settle();
    else controller.signal.addEventListener('abort', settle, { once: true });
  });
  const began = process.hrtime.bigint();
  try {
    const outcome = await Promise.race([attempt(controller.signal).catch(thrownToOutcome), aborted]);
    options.onAttempt(outcome, Number(process.hrtime.bigint() - began) / 1e9);
    return outcome;
  } finally {
    clearTimeout(timer);
    options.stop.removeEventListener('abort', onStop);
    // Unhooked rather than aborted: an abort per attempt would build a DOMException on the hot path.
    controller.signal.removeEventListener('abort', settle);
  }
}

/** A send that throws instead of returning an outcome: retryable unless it says otherwise. */
function thrownToOutcome(err: unknown): SendOutcome {
  if (err instanceof ConsumeError) {
    return { ok: false, retryable: err.retryable, reason: err.message, retryAfterMs: err.retryAfterMs };
  }
  return { ok: false, retryable: true, reason: err instanceof Error ? err.message : String(err) };
}
