import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ExponentialBackoff } from '@sluice/pdata';

export interface BackoffOptions {
  /** Hold after the first failure, default 1,000 ms; it doubles with each failure in a row. */
  initialDelayMs?: number;
  /** Longest hold before jitter, default 30,000 ms. */
  maxDelayMs?: number;
}

export const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** Each hold is drawn from ±this share of the interval, so app instances cut off together do not retry together. */
const JITTER = 0.5;

/**
 * After a failed export, holds the next one back (core's jittered exponential backoff) instead of serialising
 * a batch that will fail again. While a batch is held the batch processor keeps the rest queued,
 * so an outage fills the queue once and the overflow is dropped cheaply, before any conversion.
 * A flush or shutdown releases the held batch at once: exiting should not wait out a backoff.
 */
export class BackoffExporter implements LogRecordExporter {
  /** The longest a hold can be: this exporter's cap plus its jitter. */
  readonly longestHoldMs: number;
  private readonly backoff: ExponentialBackoff;
  private retryAt = 0;
  private held: { timer: NodeJS.Timeout; release: () => void } | undefined;

  constructor(
    private readonly inner: LogRecordExporter,
    options: BackoffOptions = {},
    private readonly now: () => number = Date.now,
    random: () => number = Math.random,
  ) {
    const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.longestHoldMs = maxDelayMs * (1 + JITTER);
    this.backoff = new ExponentialBackoff(
      {
        initial_interval: options.initialDelayMs ?? 1_000,
        max_interval: maxDelayMs,
        multiplier: 2,
        randomization_factor: JITTER,
      },
      random,
    );
  }

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const send = (): void => this.send(records, resultCallback);
    const wait = this.retryAt - this.now();
    if (wait <= 0 || this.held) return send();
    const release = (): void => {
      if (this.held?.release !== release) return;
      clearTimeout(this.held.timer);
      this.held = undefined;
      send();
    };
    // Unref'd: a held batch must not keep an app alive; beforeExit flushes it.
    this.held = { timer: setTimeout(release, wait).unref(), release };
  }

  private send(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const settle = (result: ExportResult): void => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.backoff.reset();
        this.retryAt = 0;
      } else {
        this.retryAt = this.now() + this.backoff.next();
      }
      resultCallback(result);
    };
    try {
      this.inner.export(records, settle);
    } catch (error) {
      // A held batch is sent from a timer, where a throw would reach the app as uncaught.
      settle({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  forceFlush(): Promise<void> {
    this.held?.release();
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    this.held?.release();
    return this.inner.shutdown();
  }
}
