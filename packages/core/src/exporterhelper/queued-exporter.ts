/**
 * createQueuedExporter: turns an exporter's `encode` and one-attempt `send` into a full exporter
 * with otelcol's exporterhelper behaviour — a bounded sending queue (in memory, or on disk through
 * a storage extension), batching behind the queue (`sending_queue.batch`), up to `num_consumers`
 * sends at once, retries with backoff, a per-attempt timeout, counters and health. `consume`
 * resolves once the data is accepted into the queue (on disk, for a persistent queue), never
 * when it is sent.
 *
 * A memory queue holds the data model; a persistent queue writes each request to disk as OTLP
 * protobuf (an ExportLogsServiceRequest, as otelcol's persistent queue does) and keeps only where
 * it is, reading it back when a batch is formed, so memory does not grow with the backlog. A
 * batch is encoded once into the exporter's wire payload right before its first attempt, and
 * every retry sends that payload.
 *
 * Shutdown: stop accepting (blocked and new `consume` calls are refused as retryable), then
 * - a memory queue keeps sending until the `shutdown(signal)` signal aborts (without one, for
 *   DEFAULT_DRAIN_MS, otelcol's default shutdown timeout), then aborts what is in flight and counts
 *   what it could not send as failed, with a warning;
 * - a persistent queue starts no new batch and no retry: sends in flight end or time out, and the
 *   rest stays on disk for the next start, so a dead destination cannot hold shutdown up.
 */
import type { CreateSettings, Exporter, ExporterHealth, Host } from '../component';
import {
  RateLimitedWarner,
  SluiceError,
  asConsumeError,
  systemErrorCode,
  countLogRecords,
  decodeLogsProtoLazily,
  permanentError,
  retryableError,
} from '@sluice/pdata';
import type { ConsumeError, LogsData } from '@sluice/pdata';
import { isStorageExtension } from '../extensions/contracts';
import { errorStack } from '../logger';
import { BoundedQueue } from './bounded-queue';
import { systemClock } from './clock';
import type { Clock } from './clock';
import type { ExporterHelperConfig } from './config';
import { ExporterStats } from './exporter-stats';
import { QueueBatcher } from './queue-batcher';
import { modelQueueForm, otlpProtoBytes } from './queue-form';
import type { QueueForm } from './queue-form';
import type { Batch } from './queue-batcher';
import { SegmentJournal } from './segment-journal';
import type { RecordRef } from './segment-journal';
import { sendWithRetry } from './send-with-retry';
import type { DeliveryResult } from './send-with-retry';
import type { SendOutcome } from './send-outcome';

export const DEFAULT_DRAIN_MS = 30_000;

/** A refusal warning at most this often per exporter and kind: the counters have the full story. */
const REFUSAL_WARNING_INTERVAL_MS = 10_000;

/**
 * What a persistent queue's entries are: `[u32 LE record count][ExportLogsServiceRequest protobuf]`.
 * The count lets recovery size the queue without decoding. Change it when the layout changes, so
 * directories written before are refused rather than misread.
 */
const PERSISTED_FORMAT = 'otlp-logs-proto/1';

/**
 * `P` is the exporter's wire payload, e.g. a compressed request body; `I` the form its memory
 * queue holds requests in (the data model unless `form` says otherwise).
 */
export interface QueuedExporterOptions<P, I = LogsData> {
  settings: CreateSettings;
  config: ExporterHelperConfig;
  /**
   * Turns a batch into the payload `send` takes. Called once per batch, right before its first
   * attempt; every retry gets the same payload, so an exporter may note in it what was already sent.
   * A batch that cannot be encoded is a bug in Sluice: it is dropped (reason `encode_error`), not retried.
   * The payload must not share the batch's memory: the form's `release` runs once `encode` settles.
   */
  encode(batch: I): P | Promise<P>;
  /**
   * Called once the payload is done with (the delivery ended, whatever the outcome, and no attempt
   * given up at its timeout still runs): memory it reuses goes back here.
   */
  releasePayload?(payload: P): void;
  /** How the memory queue holds requests; default: the data model (`modelQueueForm`). */
  form?: QueueForm<I>;
  /** The form works from the bytes a request arrived as (a persistent queue always does). */
  usesWireBytes?: boolean;
  /** One attempt. Must honour `signal` (aborted at the per-attempt timeout or at the shutdown deadline). */
  send(payload: P, signal: AbortSignal): Promise<SendOutcome>;
  /** The exporter's own start and shutdown (connection pools...). Shutdown runs after the queue has drained. */
  start?(host: Host): void | Promise<void>;
  shutdown?(): Promise<void>;
  clock?: Clock;
  /** For jitter; injectable for tests. */
  random?: () => number;
}

export interface QueuedExporter extends Exporter {
  health(): ExporterHealth;
  lostAtShutdown(): number;
}

export function createQueuedExporter<P, I = LogsData>(options: QueuedExporterOptions<P, I>): QueuedExporter {
  return new QueuedExporterImpl(options);
}

/** How a batch ended: a send's result, or an `encode` that threw (a bug, so the data is never sent). */
type Delivery = DeliveryResult | { kind: 'unencodable'; reason: string };

/** A request in the queue: the model for a memory queue; a persistent queue keeps only `ref`, so memory does not grow with the backlog. */
interface QueueEntry<I> {
  data?: I;
  records: number;
  /** In queue sizer units. */
  size: number;
  /** OTLP protobuf bytes, when known without measuring. */
  bytes?: number;
  /** Pieces of it in batches not yet settled (a batch cut at `max_size` splits an entry). */
  parts: number;
  /** Where it lives on disk, for a persistent queue. */
  ref?: RecordRef;
}

class QueuedExporterImpl<P, I> implements QueuedExporter {
  private readonly form: QueueForm<I>;
  private readonly config: ExporterHelperConfig;
  private readonly clock: Clock;
  private readonly stats: ExporterStats;
  private readonly queue: BoundedQueue<QueueEntry<I>> | undefined;
  private journal: SegmentJournal | undefined;
  /** Aborted at the drain deadline: ends attempts and backoff waits. */
  private readonly stop = new AbortController();
  /** Aborted at the deadline, or when a persistent queue starts to shut down: no more retries. */
  private readonly stopRetrying = new AbortController();
  private readonly refusalWarnings: RateLimitedWarner;
  private readonly consumers: Array<Promise<void>> = [];
  /** Sends running inside `consume` when the queue is disabled. */
  private readonly directSends = new Set<Promise<unknown>>();
  /** Records taken from the queue that shutdown kept from being sent (on disk still, for a persistent queue). */
  private interruptedRecords = 0;
  private lostRecords = 0;
  private stopping = false;
  private stopped = false;
  /** Whether the queue or the batcher measures requests in bytes, so consume measures each once. */
  private readonly measuresBytes: boolean;
  private shutdownPromise: Promise<void> | undefined;
  readonly usesWireBytes: boolean;

  constructor(private readonly options: QueuedExporterOptions<P, I>) {
    // Without a form of its own, the exporter's `I` is the model (the options type says so).
    this.form = options.form ?? (modelQueueForm as unknown as QueueForm<I>);
    this.config = options.config;
    const persistent = this.config.sending_queue.enabled && this.config.sending_queue.storage !== undefined;
    this.usesWireBytes = options.usesWireBytes === true || persistent;
    this.clock = options.clock ?? systemClock;
    const queueConfig = this.config.sending_queue;
    const capacity = queueConfig.enabled ? queueConfig.queue_size : 0;
    this.stats = new ExporterStats(
      options.settings.telemetry,
      options.settings.id,
      capacity,
      () => this.clock.now(),
      () => (this.stopped ? 0 : (this.queue?.size() ?? 0)),
      options.settings.optional,
    );
    if (queueConfig.enabled) this.queue = new BoundedQueue(capacity);
    this.measuresBytes = queueConfig.sizer === 'bytes' || queueConfig.batch?.sizer === 'bytes';
    const logger = options.settings.logger;
    this.refusalWarnings = new RateLimitedWarner(REFUSAL_WARNING_INTERVAL_MS, (message, fields) => logger.warn(message, fields));
  }

  async start(host: Host): Promise<void> {
    await this.options.start?.(host);
    const storageId = this.config.sending_queue.storage;
    if (this.queue && storageId !== undefined) await this.openPersistentQueue(host, storageId, this.queue);
    if (this.queue) this.consumers.push(this.runBatches(this.queue));
  }

  async consume(logs: LogsData): Promise<void> {
    if (this.stopping) throw retryableError('SLUICE_SHUTTING_DOWN', `exporter ${this.options.settings.id} is shutting down`);
    const records = countLogRecords(logs);
    if (records === 0) return;
    if (!this.queue) return this.sendDirectly(this.form.prepare(logs), records);
    if (this.config.sending_queue.storage !== undefined && !this.journal) {
      throw retryableError('SLUICE_EXPORT_REFUSED', `exporter ${this.options.settings.id} has not opened its persistent queue yet`);
    }

    const blocks = this.config.sending_queue.block_on_overflow;
    // A full queue refuses before the request is encoded or prepared: under overload that work would be thrown away.
    if (!blocks && this.queue.isFull()) throw this.queueFull(records);

    // A persistent queue writes the request to disk as protobuf (the bytes it arrived as, when
    // they may be forwarded as they are) and keeps only where it put it; a bytes sizer (queue or
    // batch) then takes that length. A memory queue holds the request in its form.
    const encoded = this.journal ? otlpProtoBytes(logs) : undefined;
    const data = encoded ? undefined : this.form.prepare(logs);
    const bytes = encoded?.length ?? (this.measuresBytes ? this.form.bytes(data!) : undefined);
    const size = this.sizeOf(records, () => bytes!);
    const admitted = blocks ? await this.queue.reserve(size) : this.queue.tryReserve(size);
    if (!admitted) {
      if (data !== undefined) this.form.release?.(data);
      if (this.stopping) throw retryableError('SLUICE_SHUTTING_DOWN', `exporter ${this.options.settings.id} is shutting down`);
      throw this.queueFull(records);
    }

    let ref: RecordRef | undefined;
    try {
      if (this.journal && encoded) ref = await this.journal.append(withRecordCount(records, encoded));
    } catch (err) {
      this.queue.release(size);
      throw this.refused(records, asConsumeError(err));
    }
    this.queue.push(ref ? { records, size, bytes: ref.length - 4, parts: 1, ref } : { data, records, size, bytes, parts: 1 });
  }

  /** The refusal of a full queue, before or after the request was prepared. */
  private queueFull(records: number): ConsumeError {
    const { queue_size, sizer } = this.config.sending_queue;
    return this.refused(
      records,
      retryableError(
        'SLUICE_QUEUE_FULL',
        `the sending queue of exporter ${this.options.settings.id} is full (queue_size ${queue_size} ${sizer})`,
      ),
    );
  }

  /** Counts and (rate-limited) logs a refusal, so a full queue or disk is never silent. */
  private refused(records: number, err: ConsumeError): ConsumeError {
    this.stats.enqueueFailed(records);
    this.stats.noteError(err.message);
    this.refusalWarnings.warn(err.code, 'refusing log records: the sender is told to retry', {
      code: err.code,
      reason: err.message,
      refused_records_total: this.stats.refusedRecords(),
    });
    return err;
  }

  /** An entry's size in sizer units; `bytes` is measured only when the sizer needs it. */
  private sizeOf(records: number, bytes: () => number): number {
    const { sizer } = this.config.sending_queue;
    return sizer === 'requests' ? 1 : sizer === 'items' ? records : bytes();
  }

  health(): ExporterHealth {
    return this.stats.health(this.queue?.size() ?? 0, this.stopped);
  }

  lostAtShutdown(): number {
    return this.lostRecords;
  }

  /** Drains until `signal` aborts (the service's shutdown_timeout), or DEFAULT_DRAIN_MS without one. */
  shutdown(signal?: AbortSignal): Promise<void> {
    this.shutdownPromise ??= this.drainAndStop(signal);
    return this.shutdownPromise;
  }

  private async drainAndStop(signal: AbortSignal | undefined): Promise<void> {
    this.stopping = true;
    // Everything in a persistent queue is safe on disk: a dead destination must not hold shutdown up.
    if (this.journal) this.stopRetrying.abort();
    const onDeadline = () => {
      this.stopRetrying.abort();
      this.stop.abort();
    };
    const timer = signal ? undefined : setTimeout(onDeadline, DEFAULT_DRAIN_MS);
    if (signal?.aborted) onDeadline();
    else signal?.addEventListener('abort', onDeadline, { once: true });
    // Closing refuses blocked consume calls; a memory queue's consumers empty it, then exit.
    this.queue?.close();
    await Promise.all([...this.consumers, ...this.directSends]);
    clearTimeout(timer);
    signal?.removeEventListener('abort', onDeadline);

    const left = this.queue?.drain() ?? [];
    const leftRecords = left.reduce((sum, entry) => sum + entry.records, 0);
    if (this.journal) {
      if (left.length > 0 || this.interruptedRecords > 0) {
        this.options.settings.logger.info('unsent log records stay in the persistent queue for the next start', {
          queued_requests: left.length,
          records: leftRecords + this.interruptedRecords,
        });
      }
      await this.journal.close();
    } else {
      const lost = leftRecords + this.interruptedRecords;
      if (lost > 0) {
        this.lostRecords = lost;
        this.stats.failed(lost);
        this.stats.noteError(`${lost} log records lost from the memory queue at shutdown`);
        this.options.settings.logger.warn('shutdown deadline reached: log records in the memory sending queue were lost', {
          lost_records: lost,
        });
      }
    }
    await this.options.shutdown?.();
    this.stopped = true;
  }

  private async openPersistentQueue(host: Host, storageId: string, queue: BoundedQueue<QueueEntry<I>>): Promise<void> {
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
      format: PERSISTED_FORMAT,
    });
    this.journal = journal;
    for (const { ref, header } of recovered) {
      if (header === undefined) {
        this.dropUnreadable(ref, 0, new SluiceError('SLUICE_BAD_DATA', 'a persisted batch is shorter than its header'));
        continue;
      }
      queue.restore({ records: header, size: this.sizeOf(header, () => ref.length - 4), bytes: ref.length - 4, parts: 1, ref });
    }
    if (recovered.length > 0) {
      this.options.settings.logger.info('resuming batches from the persistent queue', { batches: recovered.length, directory });
    }
  }

  /** Bytes that passed the checksum but do not decode cannot ever be sent: let them go, counted (`records` is from the entry's header). */
  private dropUnreadable(ref: RecordRef, records: number, err: unknown): void {
    this.stats.droppedRecords(records, 'unreadable');
    this.stats.noteError(`dropped an unreadable batch of ${records} log records from the persistent queue`);
    this.options.settings.logger.error('dropping an unreadable batch from the persistent queue', { dropped_records: records, error: err });
    this.journal?.ack(ref);
  }

  /**
   * Forms batches from the queue and sends up to `num_consumers` of them at once, until the queue
   * is closed and empty (memory), or shutdown begins (persistent: the rest stays on disk).
   */
  private async runBatches(queue: BoundedQueue<QueueEntry<I>>): Promise<void> {
    const batcher = new QueueBatcher(queue, this.config.sending_queue.batch, this.form, (entry) => this.load(entry));
    const sending = new Set<Promise<void>>();
    const halted = () => this.stop.signal.aborted || (this.stopping && this.journal !== undefined);
    for (;;) {
      if (sending.size >= this.config.sending_queue.num_consumers) await Promise.race(sending);
      if (halted()) break;
      const batch = await batcher.next();
      if (!batch) break;
      if (halted()) {
        this.unsent(batch.records);
        break;
      }
      const send = this.sendBatch(batch).finally(() => sending.delete(send));
      sending.add(send);
    }
    this.unsent(batcher.leftover()?.records ?? 0);
    await Promise.all(sending);
  }

  /** Records taken from the queue but not sent: kept on disk by a persistent queue, lost from memory. */
  private unsent(records: number): void {
    this.interruptedRecords += records;
  }

  /**
   * An entry's data: a memory queue's at once, a persistent queue's read back from disk. Undefined
   * when it cannot be had: bytes that no longer decode are dropped (counted); an I/O error (a full
   * file table) leaves the entry on disk for the next start.
   */
  private load(entry: QueueEntry<I>): I | Promise<I | undefined> {
    return entry.data ?? this.readBack(entry);
  }

  private async readBack(entry: QueueEntry<I>): Promise<I | undefined> {
    try {
      // Checked now (so bad bytes are dropped here); decoded only if the form reads the model.
      return this.form.prepare(decodeLogsProtoLazily((await this.journal!.read(entry.ref!)).subarray(4)).logs);
    } catch (err) {
      if (systemErrorCode(err) !== undefined) {
        this.options.settings.logger.error('cannot read a batch back from the persistent queue; it stays there for the next start', {
          records: entry.records,
          error: err,
        });
      } else this.dropUnreadable(entry.ref!, entry.records, err);
      return undefined;
    }
  }

  private async sendBatch(batch: Batch<QueueEntry<I>, I>): Promise<void> {
    const result = await this.deliver(batch.data, batch.records);
    if (result.kind === 'interrupted') {
      // A persistent entry stays on disk for the next start (all of it, even parts already sent).
      this.unsent(batch.records);
      return;
    }
    for (const entry of batch.entries) {
      if (--entry.parts === 0 && entry.ref) this.journal?.ack(entry.ref);
    }
  }

  /** With the queue disabled, `consume` waits for the send and carries its outcome back to the receiver. */
  private async sendDirectly(data: I, records: number): Promise<void> {
    const delivery = this.deliver(data, records);
    this.directSends.add(delivery);
    const result = await delivery.finally(() => this.directSends.delete(delivery));
    if (result.kind === 'sent') return;
    if (result.kind === 'unencodable') throw permanentError('SLUICE_INTERNAL', result.reason);
    if (result.kind === 'interrupted')
      throw retryableError('SLUICE_SHUTTING_DOWN', `exporter ${this.options.settings.id} is shutting down`);
    // The destination's Retry-After reaches the client, which is the one that retries here.
    throw result.permanent
      ? permanentError('SLUICE_EXPORT_REFUSED', result.reason)
      : retryableError('SLUICE_EXPORT_REFUSED', result.reason, result.retryAfterMs);
  }

  /**
   * Encodes one batch once, sends that payload with retries, and counts and logs how it ended.
   * An `encode` that throws is a bug in Sluice, not the destination's refusal: the same data would
   * fail the same way again, so the batch is dropped under its own reason, logged with the stack.
   */
  private async deliver(data: I, records: number): Promise<Delivery> {
    const logger = this.options.settings.logger;
    let payload: P;
    try {
      payload = await this.options.encode(data);
    } catch (err) {
      this.form.release?.(data);
      const reason = `cannot encode the batch: ${err instanceof Error ? err.message : String(err)}`;
      this.stats.droppedRecords(records, 'encode_error');
      this.stats.noteError(reason);
      logger.error('dropping log records the exporter could not encode (a bug in Sluice)', {
        dropped_records: records,
        reason,
        error: errorStack(err),
      });
      return { kind: 'unencodable', reason };
    }
    this.form.release?.(data);
    // The retry loop gives up on an attempt at its timeout without waiting for it (a send may
    // ignore its signal, or read the payload after its answer, as the load balancer's hook does):
    // the payload goes back once the delivery has ended and no attempt still runs.
    let running = 0;
    let ended = false;
    const release = () => this.options.releasePayload?.(payload);
    const attempt = async (signal: AbortSignal) => {
      running++;
      try {
        return await this.options.send(payload, signal);
      } finally {
        if (--running === 0 && ended) release();
      }
    };
    let result: DeliveryResult;
    try {
      result = await this.send(attempt);
    } finally {
      ended = true;
      if (running === 0) release();
    }
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
      logger.error('dropping log records after retries failed', {
        failed_records: records,
        attempts: result.attempts,
        reason: result.reason,
      });
    }
    return result;
  }

  private send(attempt: (signal: AbortSignal) => Promise<SendOutcome>): Promise<DeliveryResult> {
    return sendWithRetry(attempt, {
      retry: this.config.retry_on_failure,
      timeout: this.config.timeout,
      clock: this.clock,
      random: this.options.random ?? Math.random,
      logger: this.options.settings.logger,
      stop: this.stop.signal,
      stopRetrying: this.stopRetrying.signal,
      onAttempt: (outcome, seconds) => this.stats.attempt(outcome, seconds),
    });
  }
}

/** A persisted entry is the payload prefixed with its record count, so recovery needs no decoding to size the queue. */
function withRecordCount(records: number, payload: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32LE(records, 0);
  out.set(payload, 4);
  return out;
}
