/**
 * What an exporter counts about itself: the otelcol metrics, Sluice's dropped counter and send
 * duration histogram, and the same numbers for `/health/<id>`.
 */
import type { ExporterHealth } from '../component';
import { exporterMetrics } from '../telemetry/metrics';
import type { Telemetry } from '../telemetry/telemetry';
import type { SendOutcome } from './send-outcome';

/**
 * Why records were dropped, as a low-cardinality label value (the server's own words go to the log):
 * the destination refused them (`permanent_error`, `partial_success`), the exporter could not encode
 * them (`encode_error`, a bug), or a persisted batch no longer decodes (`unreadable`).
 */
export type DropReason = 'permanent_error' | 'partial_success' | 'encode_error' | 'unreadable';

/** The queue counts as nearly full (health `degraded`) from this share of its capacity. */
const DEGRADED_QUEUE_SHARE = 0.8;

export class ExporterStats {
  private readonly counters;
  /**
   * otelcol folds permanent refusals into send_failed; operators asked to tell "Loki refused the
   * data" (fix the data or the limits) from "Loki was down" (wait), so drops also get their own family.
   */
  private readonly dropped;
  private readonly sendDuration;
  private entriesSent = 0;
  private entriesFailed = 0;
  private entriesDropped = 0;
  private entriesRefused = 0;
  private batchesSent = 0;
  private lastAttemptFailed = false;
  private lastError: string | null = null;
  private lastErrorTime: string | null = null;

  constructor(
    telemetry: Telemetry,
    private readonly exporter: string,
    private readonly capacity: number,
    private readonly now: () => number,
    /** The sending queue's size now, in its sizer's units (0 once stopped), read when metrics are scraped. */
    queueSize: () => number,
    /** Sluice's `optional: true`: a refusal never reaches the sender, so it is a loss. */
    private readonly optional = false,
  ) {
    this.counters = exporterMetrics(telemetry);
    this.dropped = telemetry.counter(
      'sluice_exporter_dropped_log_records_total',
      'Log records dropped for good, by reason: refused permanently, not encodable, unreadable on disk (also counted in send_failed).',
      ['exporter', 'reason'],
    );
    this.sendDuration = telemetry.histogram(
      'sluice_exporter_send_duration_seconds',
      'Duration of each send attempt, by outcome (success, retryable, permanent).',
      ['exporter', 'outcome'],
    );
    telemetry.observeGauge('otelcol_exporter_queue_size', 'Current size of the sending queue.', { exporter, data_type: 'logs' }, queueSize);
    telemetry
      .gauge('otelcol_exporter_queue_capacity', 'Fixed capacity of the sending queue.', ['exporter', 'data_type'])
      .set({ exporter, data_type: 'logs' }, capacity);
    // Touch the counters so every family shows up at 0 before anything happens.
    for (const counter of [this.counters.sent, this.counters.sendFailed, this.counters.enqueueFailed]) counter.inc({ exporter }, 0);
  }

  /** Refused at the door (queue full, disk full): the sender was told to retry. */
  enqueueFailed(records: number): void {
    this.counters.enqueueFailed.inc({ exporter: this.exporter }, records);
    this.entriesRefused += records;
  }

  refusedRecords(): number {
    return this.entriesRefused;
  }

  attempt(outcome: SendOutcome, seconds: number): void {
    const label = outcome.ok ? 'success' : outcome.retryable ? 'retryable' : 'permanent';
    this.sendDuration.observe({ exporter: this.exporter, outcome: label }, seconds);
    // A permanent refusal is the data's fault (the destination answered): it does not make the
    // exporter unhealthy, or one bad record would fail health probes until the next send.
    this.lastAttemptFailed = !outcome.ok && outcome.retryable;
    if (!outcome.ok) this.noteError(outcome.status ? `${outcome.status}: ${outcome.reason}` : outcome.reason);
  }

  sent(records: number): void {
    this.counters.sent.inc({ exporter: this.exporter }, records);
    this.entriesSent += records;
    this.batchesSent++;
  }

  /** Given up on after retries, or lost from a memory queue at shutdown. */
  failed(records: number): void {
    this.counters.sendFailed.inc({ exporter: this.exporter }, records);
    this.entriesFailed += records;
  }

  /** Given up on for good without retrying (refused, unencodable, unreadable): send_failed (as otelcol counts it) and dropped. */
  droppedRecords(records: number, reason: DropReason): void {
    this.counters.sendFailed.inc({ exporter: this.exporter }, records);
    this.dropped.inc({ exporter: this.exporter, reason }, records);
    this.entriesDropped += records;
  }

  /** The error `health()` shows. Failed attempts note their own; this is for the others (partial success, shutdown loss). */
  noteError(message: string): void {
    this.lastError = message;
    this.lastErrorTime = new Date(this.now()).toISOString();
  }

  /**
   * `entries_failed` and `entries_dropped` do not overlap: failed = gave up or lost, dropped = given
   * up on without retrying. `entries_refused` were never accepted (the queue or its disk was full):
   * the sender was told to retry, so they are not lost unless the sender gives up. For an optional
   * exporter the fan-out swallows the refusal and nobody retries, so they are dropped as well
   * (`entries_dropped` includes them; `entries_refused` still says how many were refusals).
   */
  health(queueSize: number, stopped: boolean): ExporterHealth {
    let status: ExporterHealth['status'] = 'ok';
    if (stopped) status = 'stopped';
    else if (this.lastAttemptFailed) status = 'failing';
    else if (queueSize >= this.capacity * DEGRADED_QUEUE_SHARE) status = 'degraded';
    return {
      status,
      entries_sent: this.entriesSent,
      entries_failed: this.entriesFailed,
      entries_dropped: this.optional ? this.entriesDropped + this.entriesRefused : this.entriesDropped,
      entries_refused: this.entriesRefused,
      batches_sent: this.batchesSent,
      queue_length: queueSize,
      last_error: this.lastError,
      last_error_time: this.lastErrorTime,
    };
  }
}
