import { countLogRecords, permanentError, retryableError, type ClientContext, type LogsData } from '@sluice/pdata';
import { consumeOrReject, type CreateSettings, type Host, type LogsConsumer, type Processor } from '@sluice/core';
import type { BatchConfig } from './config';
import { batchMetrics, type BatchMetrics } from './metrics';
import { RecordQueue, type Waiter } from './queue';

/**
 * otelcol's batch processor with Sluice's acknowledgement rule: records wait in memory until a
 * size or time trigger sends them, and each `consume` resolves only when every batch holding its
 * records has been accepted by the next consumer (or rejects with the first refusal).
 */
export class BatchProcessor implements Processor {
  private readonly batchers = new Map<string, Batcher>();
  private readonly metrics: BatchMetrics;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BatchConfig,
    private readonly next: LogsConsumer,
  ) {
    this.metrics = batchMetrics(settings.telemetry, settings.id);
  }

  async start(_host: Host): Promise<void> {}

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    if (this.stopping) return Promise.reject(retryableError('SLUICE_SHUTTING_DOWN', `processor ${this.settings.id} is shutting down`));
    const batcher = this.batcherFor(context);
    if (!batcher) {
      return Promise.reject(
        permanentError(
          'SLUICE_BAD_DATA',
          `processor ${this.settings.id}: too many metadata value combinations (metadata_cardinality_limit ${this.config.metadata_cardinality_limit})`,
        ),
      );
    }
    return batcher.add(logs);
  }

  shutdown(): Promise<void> {
    this.stopping ??= Promise.all([...this.batchers.values()].map((b) => b.flushAll())).then(() => undefined);
    return this.stopping;
  }

  private batcherFor(context: ClientContext): Batcher | undefined {
    const keys = this.config.metadata_keys;
    let id = '';
    let metadata: Record<string, readonly string[]> | undefined;
    if (keys.length > 0) {
      metadata = {};
      const parts: (readonly string[])[] = [];
      for (const key of keys) {
        const values = context.metadata?.[key.toLowerCase()] ?? [];
        parts.push(values);
        if (values.length > 0) metadata[key.toLowerCase()] = values;
      }
      id = JSON.stringify(parts);
    }
    let batcher = this.batchers.get(id);
    if (!batcher) {
      if (keys.length > 0 && this.batchers.size >= this.config.metadata_cardinality_limit) return undefined;
      // As in otelcol, a batch travels on with only the metadata it was grouped by.
      batcher = new Batcher(this.config, this.next, this.metrics, metadata ? { metadata } : {});
      this.batchers.set(id, batcher);
      this.metrics.cardinality.set(this.batchers.size);
    }
    return batcher;
  }
}

/** The batch being assembled for one combination of metadata values. */
class Batcher {
  private readonly queue = new RecordQueue();
  private timer: NodeJS.Timeout | undefined;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly config: BatchConfig,
    private readonly next: LogsConsumer,
    private readonly metrics: BatchMetrics,
    private readonly context: ClientContext,
  ) {}

  add(logs: LogsData): Promise<void> {
    if (countLogRecords(logs) === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, queued: 0, inFlight: 0 };
      for (const resourceLogs of logs.resourceLogs) {
        const count = countLogRecords({ resourceLogs: [resourceLogs] });
        if (count > 0) this.queue.add(resourceLogs, count, waiter);
      }
      this.sendFullBatches();
    });
  }

  /** Sends everything queued (shutdown) and waits until every batch has been answered. */
  async flushAll(): Promise<void> {
    this.stopTimer();
    while (this.queue.count > 0) this.send();
    await Promise.allSettled([...this.sending]);
  }

  private sendFullBatches(): void {
    const { send_batch_size: size, timeout } = this.config;
    let sent = false;
    // With no timeout there is nothing to wait for: everything goes now, capped per batch.
    while (this.queue.count > 0 && (timeout === 0 || this.queue.count >= size)) {
      this.send();
      this.metrics.sizeTrigger.inc();
      sent = true;
    }
    if (this.queue.count === 0) this.stopTimer();
    else if (sent || !this.timer) this.restartTimer();
  }

  private onTimeout = (): void => {
    this.timer = undefined;
    while (this.queue.count > 0) {
      this.send();
      this.metrics.timeoutTrigger.inc();
    }
  };

  private send(): void {
    const max = this.config.send_batch_max_size;
    const { batch, waiters } = this.queue.take(max > 0 ? max : this.queue.count);
    const logs: LogsData = { resourceLogs: batch };
    this.metrics.sendSize.observe(countLogRecords(logs));
    for (const waiter of waiters) waiter.inFlight++;
    const settled: Promise<void> = consumeOrReject(this.next, logs, this.context)
      .then(
        () => settle(waiters, undefined),
        (err: unknown) => settle(waiters, err ?? new Error('rejected')),
      )
      .then(() => {
        this.sending.delete(settled);
      });
    this.sending.add(settled);
  }

  private restartTimer(): void {
    this.stopTimer();
    this.timer = setTimeout(this.onTimeout, this.config.timeout);
    // Pending batches alone should not keep the process alive; shutdown flushes them.
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** One batch was answered: a waiter settles once none of its records is queued or in flight. */
function settle(waiters: Set<Waiter>, error: unknown): void {
  for (const waiter of waiters) {
    waiter.inFlight--;
    if (error !== undefined && waiter.error === undefined) waiter.error = error;
    if (waiter.inFlight === 0 && waiter.queued === 0) {
      if (waiter.error === undefined) waiter.resolve();
      else waiter.reject(waiter.error);
    }
  }
}
