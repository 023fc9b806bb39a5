/**
 * The `jsonl` exporter: encodes each consumed batch once and hands it to the file's writer;
 * `consume` resolves when the bytes reached the OS: for a file, that is what "accepted" means.
 * With group_by or a path template, each resource or record goes to the file its attributes name.
 */
import { ByteArena, exporterMetrics, type CreateSettings, type Exporter, type ExporterHealth, type Host } from '@sluice/core';
import {
  ConsumeError,
  RateLimitedWarner,
  countLogRecords,
  encodeLogsJson,
  transcodeLogsProtoToJson,
  wireBytesOf,
  type ClientContext,
  type LogsData,
} from '@sluice/pdata';
import type { JsonlConfig } from './config';
import { encodeFlatLines } from './flat';
import { FileWriter } from './file-writer';
import { checkSignal, findFileGroups, inventory, removeFiles, type FileSelector, type InventoryEntry } from './file-inventory';
import { routeByResourceAttribute, routeByTemplate } from './route';
import { WriterPool } from './writer-pool';

const MEGABYTE = 1024 * 1024;
const EMPTY = Buffer.alloc(0);
/** Unroutable records are counted every time (entries_dropped) but logged at most this often. */
const DROP_WARNING_INTERVAL_MS = 10_000;

export interface JsonlExporterOptions {
  /** Wall clock in milliseconds, for backup names and `max_days`; injectable for tests. */
  now?: () => number;
}

export class JsonlExporter implements Exporter {
  private readonly pool: WriterPool;
  /**
   * The lines transcoded from a request's bytes wait for their write in reused memory: fresh
   * Buffers that live until an asynchronous write ends are what makes V8 run full collections.
   */
  private readonly arena = new ByteArena();
  private readonly metrics;
  private readonly now: () => number;
  /** Files chosen per resource or record (group_by or a path template), not one fixed path. */
  private readonly routed: boolean;
  /** One OTLP/JSON line per request, to one file: written straight from the request's bytes. */
  readonly usesWireBytes: boolean;
  private readonly dropWarner: RateLimitedWarner;
  private stopping: Promise<void> | undefined;
  private sent = 0;
  private failed = 0;
  private dropped = 0;
  private batches = 0;
  private lastError: { message: string; atMs: number } | undefined;
  private lastSuccessMs = 0;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: JsonlConfig,
    options: JsonlExporterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.metrics = exporterMetrics(settings.telemetry);
    this.routed = config.group_by.enabled || config.template !== undefined;
    this.usesWireBytes = !this.routed && config.format !== 'flat';
    this.dropWarner = new RateLimitedWarner(DROP_WARNING_INTERVAL_MS, (message, fields) => settings.logger.warn(message, fields));
    const maxOpen = this.routed ? config.group_by.max_open_files : 1;
    this.pool = new WriterPool(maxOpen, (path, firstOpen, openAfter) => this.createWriter(path, firstOpen, openAfter));
  }

  /** Opens the file now (without group_by), so a bad path shows in the log at start; consumes retry the open. */
  async start(_host: Host): Promise<void> {
    if (this.routed) return;
    await this.pool.write(this.config.path, EMPTY).catch((err: unknown) => this.noteError(err));
  }

  async consume(logs: LogsData, _context: ClientContext = {}): Promise<void> {
    if (this.stopping) {
      throw new ConsumeError('SLUICE_SHUTTING_DOWN', `exporter ${this.settings.id} is shutting down`, { retryable: true });
    }
    if (!this.routed) return this.writeTo(this.config.path, logs);

    const files = this.route(logs);
    const results = await Promise.allSettled([...files].map(([path, fileLogs]) => this.writeTo(path, fileLogs)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Idempotent: refuses new data, writes what was accepted, fsyncs and closes every file. */
  shutdown(): Promise<void> {
    this.stopping ??= this.pool.closeAll();
    return this.stopping;
  }

  /** The exporter's files per server and signal (what `sluice files list` shows). */
  inventory(selector: FileSelector = {}): Promise<InventoryEntry[]> {
    return inventory(this.config, selector);
  }

  /** Removes the selected files with every file closed and writes held back, so none interleaves; returns how many were removed. */
  wipe(selector: FileSelector = {}): Promise<number> {
    checkSignal(selector.signal);
    return this.pool.exclusive(async () => removeFiles(this.config, await findFileGroups(this.config, selector)));
  }

  health(): ExporterHealth {
    const failing = this.lastError !== undefined && this.lastError.atMs > this.lastSuccessMs;
    return {
      status: this.stopping ? 'stopped' : failing ? 'failing' : 'ok',
      entries_sent: this.sent,
      entries_failed: this.failed,
      entries_dropped: this.dropped,
      // No queue to be full: a failed write refuses the request and counts in entries_failed.
      entries_refused: 0,
      batches_sent: this.batches,
      queue_length: this.pool.pendingWrites,
      last_error: this.lastError?.message ?? null,
      last_error_time: this.lastError ? new Date(this.lastError.atMs).toISOString() : null,
    };
  }

  private async writeTo(path: string, logs: LogsData): Promise<void> {
    const records = countLogRecords(logs);
    if (records === 0) return;
    const labels = { exporter: this.settings.id };
    let lines: Buffer = EMPTY;
    try {
      lines = this.encode(logs);
      await this.pool.write(path, lines);
    } catch (err) {
      this.failed += records;
      this.metrics.sendFailed.inc(labels, records);
      this.noteError(err);
      throw err;
    } finally {
      // Written or refused: the writer reads them no more.
      this.arena.giveBack(lines);
    }
    this.sent += records;
    this.batches++;
    this.lastSuccessMs = this.now();
    this.metrics.sent.inc(labels, records);
  }

  private encode(logs: LogsData): Buffer {
    if (this.config.format === 'flat') return Buffer.from(encodeFlatLines(logs, BigInt(this.now()) * 1_000_000n));
    // The line straight from the bytes the request arrived as, when it still has them (unrouted, unchanged).
    const wire = wireBytesOf(logs);
    return (wire && transcodeLogsProtoToJson(wire, true, (size) => this.arena.take(size))) ?? Buffer.from(`${encodeLogsJson(logs)}\n`);
  }

  /** Splits the batch by file; records with no file (no attribute, no default) are dropped, counted and logged. */
  private route(logs: LogsData): Map<string, LogsData> {
    const { template, group_by: groupBy } = this.config;
    const { files, dropped } = template
      ? routeByTemplate(logs, template)
      : routeByResourceAttribute(logs, this.config.path, groupBy.resource_attribute);
    if (dropped > 0) {
      this.dropped += dropped;
      this.dropWarner.warn(
        'dropped',
        template
          ? 'log records dropped: a path placeholder has no value and no default'
          : 'log records dropped: their resource has no group_by attribute (record attributes route with {attributes.<key>} in path)',
        { path: this.config.path, records: dropped },
      );
    }
    return files;
  }

  private createWriter(path: string, firstOpen: boolean, openAfter: Promise<void>): FileWriter {
    const { rotation, compression } = this.config;
    return new FileWriter({
      path,
      truncate: firstOpen && !this.config.append,
      createDirectory: this.config.create_directory,
      directoryMode: this.config.directory_permissions,
      rotation: rotation && {
        maxBytes: Math.max(1, Math.floor(rotation.max_megabytes * MEGABYTE)),
        maxBackups: rotation.max_backups,
        maxDays: rotation.max_days,
        localtime: rotation.localtime,
        // A file written with `compression: gzip` is compressed already.
        compress: rotation.compress === 'gzip' && compression === 'none',
      },
      syncIntervalMs: this.config.flush_interval,
      gzipWrites: compression === 'gzip',
      logger: this.settings.logger,
      now: this.now,
      openAfter,
      smallWritesInline: this.routed,
    });
  }

  private noteError(err: unknown): void {
    this.lastError = { message: err instanceof Error ? err.message : String(err), atMs: this.now() };
  }
}
