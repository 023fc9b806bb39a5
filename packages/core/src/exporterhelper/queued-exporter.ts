/**
 * createQueuedExporter: turns a one-attempt `send` into a full exporter with otelcol's
 * exporterhelper behaviour — a bounded sending queue (in memory, or on disk through a storage
 * extension), `num_consumers` senders, retries with backoff, a per-attempt timeout, counters and
 * health. `consume` resolves once the batch is accepted into the queue, not when it is sent.
 *
 * Shutdown: stop accepting, keep sending until the drain deadline, then abort what is in flight.
 * The service sets the deadline with `setShutdownDeadline(exporter, Date.now() + shutdown_timeout)`
 * before calling `shutdown()`; without it the drain gets DEFAULT_DRAIN_MS, otelcol's default
 * shutdown timeout. A persistent queue keeps what it could not send; a memory queue counts it as
 * failed and says so in a warning.
 */
import type { CreateSettings, Exporter, ExporterHealth, Host } from '../component';
import { SluiceError, asConsumeError, permanentError, retryableError } from '@sluice/pdata';
import { isStorageExtension } from '../extensions/contracts';
import { countLogRecords } from '@sluice/pdata';
import type { LogsData } from '@sluice/pdata';
import { BoundedQueue } from './bounded-queue';
import { systemClock } from './clock';
import type { Clock } from './clock';
import type { ExporterHelperConfig } from './config';
import { ExporterStats } from './exporter-stats';
import { binaryLogsCodec } from './logs-codec';
import type { PayloadCodec } from './logs-codec';
import { SegmentJournal } from './segment-journal';
import type { RecordRef } from './segment-journal';
import { sendWithRetry } from './send-with-retry';
import type { DeliveryResult } from './send-with-retry';
import type { SendOutcome } from './send-outcome';

export const DEFAULT_DRAIN_MS = 30_000;

/**
 * `P` is what the queue keeps and `send` takes: by default the data as it came; an exporter that
 * gives `prepare` keeps its own encoding instead (e.g. compressed request bodies).
 */
export interface QueuedExporterOptions<P = LogsData> {
  settings: CreateSettings;
  config: ExporterHelperConfig;
  /**
   * Turns accepted data into the payload the queue keeps. Runs inside `consume`, before the data
   * is acknowledged, so a payload that is encoded and compressed here keeps the queue many times
   * smaller than decoded records would, and a retry never encodes twice.
   */
  prepare?(logs: LogsData): P | Promise<P>;
  /** One attempt. Must honour `signal` (aborted at the per-attempt timeout or at the shutdown deadline). */
  send(payload: P, signal: AbortSignal): Promise<SendOutcome>;
  /** The exporter's own start and shutdown (connection pools...). Shutdown runs after the queue has drained. */
  start?(host: Host): Promise<void>;
  shutdown?(): Promise<void>;
  /** How a persistent queue stores payloads; needed with `prepare`, else core's binary codec of LogsData. */
  codec?: PayloadCodec<P>;
  clock?: Clock;
  /** For jitter; injectable for tests. */
  random?: () => number;
}

export interface QueuedExporter extends Exporter {
  health(): ExporterHealth;
  /** When the shutdown drain must end, in epoch milliseconds (Date.now() scale). May be set before or during shutdown. */
  setDrainDeadline(deadlineMs: number): void;
}

/** Tells any exporter when its shutdown drain must end; exporters without a queue ignore it. */
export function setShutdownDeadline(exporter: Exporter, deadlineMs: number): void {
  const queued = exporter as Partial<QueuedExporter>;
  if (typeof queued.setDrainDeadline === 'function') queued.setDrainDeadline(deadlineMs);
}

export function createQueuedExporter<P = LogsData>(options: QueuedExporterOptions<P>): QueuedExporter {
  if (options.prepare && !options.codec && options.config.sending_queue.storage !== undefined) {
    throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `exporter ${options.settings.id} cannot keep its sending queue on disk: it has no payload codec`);
  }
  return new QueuedExporterImpl(options);
}

interface QueueEntry<P> {
  payload: P;
  records: number;
  /** In sizer units. */
  size: number;
  /** Where it lives on disk, for a persistent queue. */
  ref?: RecordRef;
}

class QueuedExporterImpl<P> implements QueuedExporter {
  private readonly config: ExporterHelperConfig;
  private readonly clock: Clock;
  private readonly stats: ExporterStats;
  private readonly queue: BoundedQueue<QueueEntry<P>> | undefined;
  private readonly prepare: (logs: LogsData) => P | Promise<P>;
  private readonly codec: PayloadCodec<P>;
  private journal: SegmentJournal | undefined;
  /** Aborted at the drain deadline: ends attempts and backoff waits. */
  private readonly stop = new AbortController();
  private readonly consumers: Array<Promise<void>> = [];
  /** Sends running inside `consume` when the queue is disabled. */
  private readonly directSends = new Set<Promise<unknown>>();
  /** Memory-queue records that an interrupted send took with it. */
  private interruptedRecords = 0;
  private drainDeadline: number | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(private readonly options: QueuedExporterOptions<P>) {
    this.config = options.config;
    // Without `prepare`, P is LogsData (the options type's default): the data is its own payload.
    this.prepare = options.prepare ?? ((logs) => logs as unknown as P);
    this.codec = options.codec ?? (binaryLogsCodec as unknown as PayloadCodec<P>);
    this.clock = options.clock ?? systemClock;
    const queueConfig = this.config.sending_queue;
    const capacity = queueConfig.enabled ? queueConfig.queue_size : 0;
    this.stats = new ExporterStats(options.settings.telemetry, options.settings.id, capacity, () => this.clock.now());
    if (queueConfig.enabled) this.queue = new BoundedQueue(capacity, (size) => this.stats.setQueueSize(size));
  }

  async start(host: Host): Promise<void> {
    await this.options.start?.(host);
    const storageId = this.config.sending_queue.storage;
    if (this.queue && storageId !== undefined) await this.openPersistentQueue(host, storageId, this.queue);
    if (!this.queue) return;
    for (let i = 0; i < this.config.sending_queue.num_consumers; i++) this.consumers.push(this.runConsumer(this.queue));
  }

  async consume(logs: LogsData): Promise<void> {
    if (this.stopping) throw retryableError('SLUICE_SHUTTING_DOWN', `exporter ${this.options.settings.id} is shutting down`);
    const records = countLogRecords(logs);
    if (records === 0) return;
    if (!this.queue) return this.sendDirectly(await this.prepare(logs), records);
    if (this.config.sending_queue.storage !== undefined && !this.journal) {
      throw retryableError('SLUICE_EXPORT_REFUSED', `exporter ${this.options.settings.id} has not opened its persistent queue yet`);
    }

    const size = this.config.sending_queue.sizer === 'items' ? records : 1;
    const admitted = this.config.sending_queue.block_on_overflow ? await this.queue.reserve(size) : this.queue.tryReserve(size);
    if (!admitted) {
      this.stats.enqueueFailed(records);
      if (this.stopping) throw retryableError('SLUICE_SHUTTING_DOWN', `exporter ${this.options.settings.id} is shutting down`);
      const { queue_size, sizer } = this.config.sending_queue;
      throw retryableError('SLUICE_QUEUE_FULL', `the sending queue of exporter ${this.options.settings.id} is full (queue_size ${queue_size} ${sizer})`);
    }

    let payload: P;
    let ref: RecordRef | undefined;
    try {
      payload = await this.prepare(logs);
      if (this.journal) ref = await this.journal.append(withRecordCount(records, this.codec.encode(payload)));
    } catch (err) {
      this.queue.release(size);
      this.stats.enqueueFailed(records);
      throw asConsumeError(err);
    }
    this.queue.push({ payload, records, size, ref });
  }

  health(): ExporterHealth {
    return this.stats.health(this.queue?.size() ?? 0, this.stopped);
  }

  setDrainDeadline(deadlineMs: number): void {
    this.drainDeadline = deadlineMs;
    if (this.deadlineTimer) this.armDeadline();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.drainAndStop();
    return this.shutdownPromise;
  }

  private async drainAndStop(): Promise<void> {
    this.stopping = true;
    this.armDeadline();
    // Closing lets consumers empty the queue and then exit; blocked consume calls are refused.
    this.queue?.close();
    await Promise.all([...this.consumers, ...this.directSends]);
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;

    const left = this.queue?.drain() ?? [];
    const leftRecords = left.reduce((sum, entry) => sum + entry.records, 0);
    if (this.journal) {
      if (left.length > 0 || this.stop.signal.aborted) {
        this.options.settings.logger.info('unsent batches stay in the persistent queue for the next start', { batches: left.length });
      }
      await this.journal.close();
    } else {
      const lost = leftRecords + this.interruptedRecords;
      if (lost > 0) {
        this.stats.failed(lost);
        this.stats.noteError(`${lost} log records lost from the memory queue at shutdown`);
        this.options.settings.logger.warn('shutdown deadline reached: log records in the memory sending queue were lost', { lost_records: lost });
      }
    }
    await this.options.shutdown?.();
    this.stopped = true;
    this.stats.setQueueSize(0);
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const deadline = this.drainDeadline ?? Date.now() + DEFAULT_DRAIN_MS;
    this.deadlineTimer = setTimeout(() => this.stop.abort(), Math.max(0, deadline - Date.now()));
  }

  private async openPersistentQueue(host: Host, storageId: string, queue: BoundedQueue<QueueEntry<P>>): Promise<void> {
    const extension = host.getExtension(storageId);
    if (!isStorageExtension(extension)) {
      throw new SluiceError(
        'SLUICE_CONFIG_UNDEFINED_COMPONENT',
        `exporter ${this.options.settings.id}: sending_queue.storage "${storageId}" is not a configured storage extension (e.g. file_storage)`,
      );
    }
    const directory = await extension.directoryFor('exporter', this.options.settings.id, 'logs');
    const { journal, recovered } = await SegmentJournal.open(directory, {
      maxBytes: extension.maxSizeBytes,
      logger: this.options.settings.logger,
    });
    this.journal = journal;
    for (const record of recovered) {
      let payload: P;
      let records: number;
      try {
        ({ records, bytes: payload } = splitRecordCount(record.payload, (bytes) => this.codec.decode(bytes)));
      } catch (err) {
        // Bytes that passed the checksum but do not decode (e.g. another codec wrote them): unusable, so let them go.
        this.options.settings.logger.error('dropping an unreadable batch from the persistent queue', { error: err });
        journal.ack(record.ref);
        continue;
      }
      queue.restore({ payload, records, size: this.config.sending_queue.sizer === 'items' ? records : 1, ref: record.ref });
    }
    if (recovered.length > 0) {
      this.options.settings.logger.info('resuming batches from the persistent queue', { batches: recovered.length, directory });
    }
  }

  private async runConsumer(queue: BoundedQueue<QueueEntry<P>>): Promise<void> {
    for (;;) {
      const entry = await queue.take();
      if (!entry) return;
      const result = await this.deliver(entry.payload, entry.records);
      if (result.kind === 'interrupted') {
        // A persistent entry stays on disk for the next start; a memory one is lost.
        if (!entry.ref) this.interruptedRecords += entry.records;
        return;
      }
      if (entry.ref) this.journal?.ack(entry.ref);
    }
  }

  /** With the queue disabled, `consume` waits for the send and carries its outcome back to the receiver. */
  private async sendDirectly(payload: P, records: number): Promise<void> {
    const delivery = this.deliver(payload, records);
    this.directSends.add(delivery);
    const result = await delivery.finally(() => this.directSends.delete(delivery));
    if (result.kind === 'sent') return;
    if (result.kind === 'interrupted') throw retryableError('SLUICE_SHUTTING_DOWN', `exporter ${this.options.settings.id} is shutting down`);
    throw result.permanent ? permanentError('SLUICE_EXPORT_REFUSED', result.reason) : retryableError('SLUICE_EXPORT_REFUSED', result.reason);
  }

  /** Sends one batch with retries, and counts and logs how it ended. */
  private async deliver(payload: P, records: number): Promise<DeliveryResult> {
    const logger = this.options.settings.logger;
    const result = await sendWithRetry((signal) => this.options.send(payload, signal), {
      retry: this.config.retry_on_failure,
      timeout: this.config.timeout,
      clock: this.clock,
      random: this.options.random ?? Math.random,
      logger,
      stop: this.stop.signal,
      onAttempt: (outcome, seconds) => this.stats.attempt(outcome, seconds),
    });
    if (result.kind === 'sent') {
      this.stats.sent(records - result.rejectedRecords);
      if (result.rejectedRecords > 0) {
        const detail = result.message ?? 'the destination rejected part of the batch';
        this.stats.droppedRecords(result.rejectedRecords, 'partial_success');
        this.stats.noteError(detail);
        logger.warn('the destination accepted a batch only in part', { rejected_records: result.rejectedRecords, reason: detail });
      }
    } else if (result.kind === 'failed' && result.permanent) {
      this.stats.droppedRecords(records, 'permanent_error');
      logger.error('dropping log records the destination refused permanently', { dropped_records: records, reason: result.reason });
    } else if (result.kind === 'failed') {
      this.stats.failed(records);
      logger.error('dropping log records after retries failed', { failed_records: records, attempts: result.attempts, reason: result.reason });
    }
    return result;
  }
}

/** A persisted entry is the payload prefixed with its record count, so recovery needs no decoding to size the queue. */
function withRecordCount(records: number, payload: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32LE(records, 0);
  out.set(payload, 4);
  return out;
}

function splitRecordCount<P>(entry: Uint8Array, decode: (bytes: Uint8Array) => P): { records: number; bytes: P } {
  if (entry.length < 4) throw new SluiceError('SLUICE_BAD_DATA', 'a persisted batch is shorter than its header');
  const records = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).readUInt32LE(0);
  return { records, bytes: decode(entry.subarray(4)) };
}
