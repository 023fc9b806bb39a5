import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export interface BackoffOptions {
  /** Hold after the first failure, default 1,000 ms; it doubles with each failure in a row. */
  initialDelayMs?: number;
  /** Longest hold, default 30,000 ms. */
  maxDelayMs?: number;
}

export const DEFAULT_MAX_BACKOFF_MS = 30_000;

/**
 * After a failed export, holds the next one back (exponentially, capped) instead of serialising
 * a batch that will fail again. While a batch is held the batch processor keeps the rest queued,
 * so an outage fills the queue once and the overflow is dropped cheaply, before any conversion.
 * A flush or shutdown releases the held batch at once: exiting should not wait out a backoff.
 */
export class BackoffExporter implements LogRecordExporter {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private failuresInARow = 0;
  private retryAt = 0;
  private held: { timer: NodeJS.Timeout; release: () => void } | undefined;

  constructor(
    private readonly inner: LogRecordExporter,
    options: BackoffOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.initialDelayMs = options.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_BACKOFF_MS;
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

  /** The hold that applies after `failures` failed exports in a row. */
  delayAfter(failures: number): number {
    return Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(failures - 1, 30));
  }

  private send(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const settle = (result: ExportResult): void => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.failuresInARow = 0;
        this.retryAt = 0;
      } else {
        this.failuresInARow++;
        this.retryAt = this.now() + this.delayAfter(this.failuresInARow);
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
