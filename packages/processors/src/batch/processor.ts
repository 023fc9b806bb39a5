import {
  asConsumeError,
  countLogRecords,
  moreUrgentRefusal,
  permanentError,
  retryableError,
  type ClientContext,
  type ConsumeError,
  type LogsData,
} from '@sluice/pdata';
import { consumeOrReject, type CreateSettings, type Host, type LogsConsumer, type Processor } from '@sluice/core';
import type { BatchConfig } from './config';
import { batchMetrics, type BatchMetrics } from './metrics';
import { RecordQueue, type Waiter } from './queue';

/**
 * otelcol's batch processor, keys and all, as a group commit: it never holds data for a timer.
 * Data that arrives while no hand-off to the next consumer is in progress is handed off at once;
 * data that arrives during a hand-off waits for it to end and then goes on merged, at most
 * `send_batch_max_size` records a hand-off, and a merge stops taking requests once it holds
 * `send_batch_size` records. Each `consume` settles with the outcome of the hand-offs that
 * carried its records, so refusals and backpressure reach the client. `timeout` is accepted and
 * unused.
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

  /** Refuses new data and waits until everything accepted so far has been handed off. */
  shutdown(): Promise<void> {
    this.stopping ??= Promise.all([...this.batchers.values()].map((b) => b.idle())).then(() => undefined);
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

/**
 * The hand-offs for one combination of metadata values. They happen one at a time, which is what
 * makes this a group commit (requests pile up only while the next consumer is busy) and keeps
 * records in arrival order.
 */
class Batcher {
  private readonly queue = new RecordQueue();
  /** The hand-offs in progress, until the queue is empty; undefined while idle. */
  private running: Promise<void> | undefined;
  /** A merge stops taking requests once it holds this many records. */
  private readonly enough: number;
  /** No hand-off carries more records than this: a merge, or a request, is split. */
  private readonly max: number;

  constructor(
    config: BatchConfig,
    private readonly next: LogsConsumer,
    private readonly metrics: BatchMetrics,
    private readonly context: ClientContext,
  ) {
    this.enough = config.send_batch_size > 0 ? config.send_batch_size : Infinity;
    this.max = config.send_batch_max_size > 0 ? config.send_batch_max_size : Infinity;
  }

  add(logs: LogsData): Promise<void> {
    const count = countLogRecords(logs);
    if (count === 0) return Promise.resolve();
    if (this.running === undefined && count <= this.max) {
      // Nothing in progress: the request goes on as it is, and its caller hears the next consumer's answer.
      const accepted = this.handOff(logs, count);
      this.running = accepted.then(this.drain, this.drain);
      return accepted;
    }
    const done = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, queued: 0, inFlight: 0 };
      for (const resourceLogs of logs.resourceLogs) {
        const n = countLogRecords({ resourceLogs: [resourceLogs] });
        if (n > 0) this.queue.add(resourceLogs, n, waiter);
      }
    });
    // The queue is not empty, so `drain` awaits before it could clear `running`.
    this.running ??= this.drain();
    return done;
  }

  /** Resolves once nothing is queued or being handed off. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Hands off what queued up, merged, until nothing is left; then the batcher is idle. */
  private drain = async (): Promise<void> => {
    while (this.queue.count > 0) {
      const { batch, waiters, count } = this.queue.take(this.enough, this.max);
      for (const waiter of waiters) waiter.inFlight++;
      // Merging builds a new LogsData around the callers' ResourceLogs, not copies of them.
      let error: ConsumeError | undefined;
      try {
        await this.handOff({ resourceLogs: batch }, count);
      } catch (err) {
        error = asConsumeError(err);
      }
      settle(waiters, error);
    }
    // Cleared in the same turn as the emptiness check, so a request added later starts a new drain.
    this.running = undefined;
  };

  private handOff(logs: LogsData, count: number): Promise<void> {
    this.metrics.sendSize.observe(count);
    if (count >= this.enough) this.metrics.sizeTrigger.inc();
    else this.metrics.timeoutTrigger.inc();
    return consumeOrReject(this.next, logs, this.context);
  }
}

/** One batch was answered: a waiter settles once none of its records is queued or in flight. */
function settle(waiters: Set<Waiter>, error: ConsumeError | undefined): void {
  for (const waiter of waiters) {
    waiter.inFlight--;
    if (error !== undefined) waiter.error = moreUrgentRefusal(waiter.error, error);
    if (waiter.inFlight === 0 && waiter.queued === 0) {
      if (waiter.error === undefined) waiter.resolve();
      else waiter.reject(waiter.error);
    }
  }
}
