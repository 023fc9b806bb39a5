import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { BridgeCounters } from './stats';
import type { RateLimitedWarner } from '@sluice/pdata';

/**
 * Sits in front of the SDK's BatchLogRecordProcessor and owns the queue bound: the batch
 * processor drops silently when full, this one counts every record in and every drop, and warns.
 * The batch processor gets the same bound, and since records leave our count only when the
 * exporter takes them, its buffer never reaches the bound before ours does.
 */
export class BoundedProcessor implements LogRecordProcessor {
  constructor(
    private readonly inner: LogRecordProcessor,
    private readonly maxQueueSize: number,
    private readonly counters: BridgeCounters,
    private readonly warner: RateLimitedWarner,
  ) {}

  /**
   * For adapters, before they spend time converting a line: false (and the record counted as
   * emitted and dropped) when the queue is full, so an outage makes logging cheaper, not dearer.
   */
  readonly admit = (): boolean => {
    if (this.counters.queued < this.maxQueueSize) return true;
    this.counters.emitted++;
    this.drop();
    return false;
  };

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    const counters = this.counters;
    counters.emitted++;
    if (counters.queued >= this.maxQueueSize) {
      this.drop();
      return;
    }
    counters.accepted++;
    this.inner.onEmit(record, context);
  }

  private drop(): void {
    this.counters.dropped++;
    this.warner.warn(
      'queue-full',
      `log queue full (${this.maxQueueSize} records): dropping records until the collector catches up (${this.counters.dropped} dropped so far)`,
    );
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
