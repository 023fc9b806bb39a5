/**
 * One output file. Writes are serialised so lines never interleave, and whatever queued up while
 * a write was in flight goes out in the next single `writev` call. A write's promise resolves once
 * its bytes were handed to the OS — the exporter's acknowledgement rule; durability comes from the
 * periodic fsync (`flush_interval`).
 *
 * On a write error the file is cut back to its last complete write and closed, so no partial line
 * survives and the next write starts over by opening the file again.
 */
import { constants, writevSync } from 'node:fs';
import { access, mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type Logger } from '@sluice/core';
import { ConsumeError } from '@sluice/pdata';
import { BackupMill, backupPath } from './backups';

const gzipAsync = promisify(gzip);
const FILE_MODE = 0o640;
/** The largest chunk `smallWritesInline` writes on the event loop. */
const SMALL_WRITE_BYTES = 64 * 1024;

export interface RotationOptions {
  maxBytes: number;
  maxBackups: number;
  maxDays: number;
  localtime: boolean;
  compress: boolean;
}

export interface FileWriterOptions {
  path: string;
  /** Empty the file when it is first opened (otelcol's `append: false`). */
  truncate: boolean;
  createDirectory: boolean;
  directoryMode: number;
  rotation: RotationOptions | undefined;
  /** 0 fsyncs after every write. */
  syncIntervalMs: number;
  /** Compress each write into its own gzip member. */
  gzipWrites: boolean;
  logger: Logger;
  now: () => number;
  /** The file is not opened before this settles (the pool's cap on open files). */
  openAfter?: Promise<void>;
  /**
   * Write chunks of up to SMALL_WRITE_BYTES to a regular file on the event loop (`writevSync`, a
   * page-cache copy) rather than through the thread pool. Routed exporters set it: they make one
   * small write per file per batch, and there the thread-pool round trip costs several times the copy.
   */
  smallWritesInline?: boolean;
}

interface PendingWrite {
  data: Buffer;
  resolve: () => void;
  reject: (err: ConsumeError) => void;
}

export class FileWriter {
  private queue: PendingWrite[] = [];
  private inFlight = 0;
  private draining: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  private regularFile = false;
  private size = 0;
  private unsynced = false;
  private syncDue = false;
  private truncateOnOpen: boolean;
  private lastBackupMs = 0;
  private closing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly mill: BackupMill | undefined;

  constructor(private readonly options: FileWriterOptions) {
    this.truncateOnOpen = options.truncate;
    if (options.syncIntervalMs > 0) {
      this.timer = setInterval(() => {
        this.syncDue = true;
        this.kick();
      }, options.syncIntervalMs);
      this.timer.unref();
    }
    if (options.rotation) {
      const { maxBackups, maxDays, localtime, compress } = options.rotation;
      this.mill = new BackupMill({
        filePath: options.path,
        maxBackups,
        maxDays,
        localtime,
        compress,
        logger: options.logger,
        now: options.now,
      });
    }
  }

  /** Writes waiting or in flight. */
  get pendingWrites(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves once `data` was handed to the OS; rejects with SLUICE_WRITE_FAILED. An empty write just opens the file. */
  write(data: Buffer): Promise<void> {
    if (this.closing) {
      return Promise.reject(new ConsumeError('SLUICE_SHUTTING_DOWN', `${this.options.path} is being closed`, { retryable: true }));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.kick();
    });
  }

  /** Idempotent: writes what is queued, fsyncs, closes, and stops any background compression. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      while (this.draining) await this.draining;
      if (this.handle) {
        await this.syncNow();
        await this.handle.close().catch(() => undefined);
        this.handle = undefined;
      }
      await this.mill?.close();
    })();
    return this.closing;
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 || (this.syncDue && !this.closing)) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.syncDue) {
      if (this.queue.length === 0) {
        await this.syncNow();
        continue;
      }
      const batch = this.queue;
      this.queue = [];
      this.inFlight = batch.length;
      await this.writeBatch(batch);
      this.inFlight = 0;
      if (this.options.syncIntervalMs === 0) await this.syncNow();
    }
  }

  /** Writes the batch in chunks that each fit in the current file or, after rotating, in a fresh one. */
  private async writeBatch(batch: PendingWrite[]): Promise<void> {
    let start = 0;
    while (start < batch.length) {
      const end = this.chunkEnd(batch, start);
      const chunk = batch.slice(start, end);
      try {
        await this.ensureOpen();
        // Written with one writev, not joined first: a joined copy would live until the write
        // ends, and such Buffers are what makes V8 run full collections under load.
        let parts = chunk.map((w) => w.data);
        let bytes = parts.reduce((n, part) => n + part.length, 0);
        if (this.options.gzipWrites && bytes > 0) {
          parts = [await gzipAsync(parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes))];
          bytes = parts[0]!.length;
        }
        const rotation = this.options.rotation;
        if (rotation && this.regularFile && this.size > 0 && this.size + bytes > rotation.maxBytes) {
          await this.rotate();
          await this.ensureOpen();
        }
        await this.writeAll(parts, bytes);
      } catch (err) {
        const error = await this.failed(err);
        for (const pending of batch.slice(start)) pending.reject(error);
        return;
      }
      for (const pending of chunk) pending.resolve();
      start = end;
    }
  }

  private chunkEnd(batch: PendingWrite[], start: number): number {
    const rotation = this.options.rotation;
    if (!rotation) return batch.length;
    let bytes = batch[start]!.data.length;
    const limit = this.size + bytes > rotation.maxBytes ? rotation.maxBytes : rotation.maxBytes - this.size;
    let end = start + 1;
    while (end < batch.length && bytes + batch[end]!.data.length <= limit) bytes += batch[end++]!.data.length;
    return end;
  }

  private async ensureOpen(): Promise<void> {
    if (this.handle) return;
    const { path, createDirectory, directoryMode, openAfter } = this.options;
    await openAfter;
    if (createDirectory) await mkdir(dirname(path), { recursive: true, mode: directoryMode });
    const handle = await open(path, 'a', FILE_MODE);
    try {
      const stat = await handle.stat();
      this.regularFile = stat.isFile();
      if (this.truncateOnOpen && this.regularFile) await handle.truncate(0);
      this.size = this.truncateOnOpen && this.regularFile ? 0 : stat.size;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.truncateOnOpen = false;
    this.handle = handle;
    this.mill?.run(); // finishes compression a previous run left behind
  }

  /** `bytes`: the parts' total. A short write (or more parts than one writev takes) goes on where it stopped. */
  private async writeAll(parts: Buffer[], bytes: number): Promise<void> {
    const handle = this.handle!;
    const inline = this.options.smallWritesInline === true && this.regularFile && bytes <= SMALL_WRITE_BYTES;
    let left = bytes;
    while (left > 0) {
      const written = inline ? writevSync(handle.fd, parts) : (await handle.writev(parts)).bytesWritten;
      left -= written;
      if (left > 0) parts = afterWritten(parts, written);
    }
    this.size += bytes;
    if (bytes > 0) this.unsynced = true;
  }

  private async rotate(): Promise<void> {
    await this.syncNow();
    await this.handle!.close();
    this.handle = undefined;
    await rename(this.options.path, await this.freeBackupPath());
    this.mill!.run();
  }

  /** A backup name not taken yet: several rotations in one millisecond must not overwrite each other. */
  private async freeBackupPath(): Promise<string> {
    const { path, rotation, now } = this.options;
    let time = Math.max(now(), this.lastBackupMs + 1);
    for (;;) {
      const candidate = backupPath(path, time, rotation!.localtime);
      if (!(await exists(candidate)) && !(await exists(`${candidate}.gz`))) {
        this.lastBackupMs = time;
        return candidate;
      }
      time++;
    }
  }

  private async syncNow(): Promise<void> {
    this.syncDue = false;
    if (!this.handle || !this.unsynced) return;
    this.unsynced = false;
    try {
      await this.handle.sync();
    } catch (err) {
      // EINVAL is a file that cannot be synced (a pipe, /dev/full); anything else may mean lost data.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') {
        this.options.logger.error('fsync failed', { path: this.options.path, error: describe(err) });
      }
    }
  }

  /** Cuts a half-written chunk off, drops the handle so the next write reopens, and describes the error. */
  private async failed(err: unknown): Promise<ConsumeError> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) {
      if (this.regularFile) await handle.truncate(this.size).catch(() => undefined);
      await handle.close().catch(() => undefined);
    }
    const detail = `cannot write ${this.options.path}: ${describe(err)}`;
    this.options.logger.error('file write failed', { path: this.options.path, error: describe(err) });
    // Retryable whatever the cause: the data is fine, and disk space or permissions can be fixed.
    return new ConsumeError('SLUICE_WRITE_FAILED', detail, { retryable: true, cause: err });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** What is left of `parts` after their first `count` bytes. */
export function afterWritten(parts: Buffer[], count: number): Buffer[] {
  let index = 0;
  while (count >= parts[index]!.length) count -= parts[index++]!.length;
  return [parts[index]!.subarray(count), ...parts.slice(index + 1)];
}
