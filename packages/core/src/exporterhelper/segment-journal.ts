/**
 * The on-disk half of a persistent sending queue.
 *
 * Format, chosen to be simple to recover after a crash:
 * - `NNNNNNNNNN.seg` segment files, append-only: each record is
 *   `[u32 LE payload length][u32 LE CRC32 of payload][payload]`. A crash can only tear the last
 *   record of the segment being written (we never append to a segment after a restart or a failed
 *   write), and length + CRC detect that, so recovery skips it with a warning instead of failing.
 * - `NNNNNNNNNN.ack` beside each segment: the u32 offsets of records that are done (sent or given
 *   up). Written without fsync: losing an ack in a power cut only re-sends a batch (at-least-once).
 * - A segment is deleted once every record in it is done; the active segment rolls at
 *   SEGMENT_MAX_BYTES, or once it is done and holds more than ROLL_DONE_BYTES. That is the whole
 *   of compaction: there is never a need to rewrite a file.
 *
 * - `FORMAT`: names how payloads are encoded, written when the directory is first used. A
 *   directory whose segments were written in another format (or before this file existed) is
 *   refused at open, so old bytes are never read as garbage.
 *
 * Appends are group-committed: every append that arrives while a write + fsync is running waits
 * for the next one, so many concurrent `consume` calls share one fsync.
 *
 * Only an index lives in memory (where each live record is, its length and its first 4 bytes);
 * payloads stay on disk until `read`, and `open` streams each segment in READ_CHUNK_BYTES pieces
 * to check the checksums, so memory does not grow with the backlog.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ConsumeError, RateLimitedWarner, SluiceError } from '@sluice/pdata';
import type { LogFields, Logger } from '../logger';

const HEADER_BYTES = 8;
const SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
const ROLL_DONE_BYTES = 64 * 1024;
const SEGMENT_NAME = /^(\d{10})\.seg$/;
const ACK_NAME = /^(\d{10})\.ack$/;
const FORMAT_FILE = 'FORMAT';
const READ_CHUNK_BYTES = 1024 * 1024;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Where a record lives, to read it back or say it is done. */
export interface RecordRef {
  readonly segment: number;
  readonly offset: number;
  /** Payload bytes. */
  readonly length: number;
}

/** A live record found by `open`: its place, not its payload. */
export interface RecoveredRecord {
  ref: RecordRef;
  /** The payload's first 4 bytes as a u32 LE (where a caller keeps e.g. a record count); undefined if the payload is shorter. */
  header: number | undefined;
}

export interface JournalOptions {
  /** Disk budget in bytes; 0 = none. */
  maxBytes: number;
  logger: Logger;
  /** How payloads are encoded, e.g. `otlp-logs-proto/1`: a directory written in another format is refused. */
  format: string;
}

interface Segment {
  readonly id: number;
  size: number;
  /** Records written and not yet done. */
  live: number;
}

interface PendingAppend {
  framed: Buffer;
  resolve(ref: RecordRef): void;
  reject(err: Error): void;
}

export class SegmentJournal {
  private readonly segments = new Map<number, Segment>();
  private active: { segment: Segment; handle: fs.FileHandle } | undefined;
  private nextId: number;
  private pendingAppends: PendingAppend[] = [];
  private pendingBytes = 0;
  private pendingAcks: RecordRef[] = [];
  private pumping: Promise<void> | undefined;
  private closed = false;
  private readonly refusals: RateLimitedWarner;

  private constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
    nextId: number,
  ) {
    this.nextId = nextId;
    this.refusals = new RateLimitedWarner(REFUSAL_LOG_INTERVAL_MS, (message, fields) => void this.warnWithFreeSpace(message, fields));
  }

  /**
   * Opens the journal in `directory` (created if missing) and returns where every record that was
   * written and not yet done lives, oldest first. Payloads are checked, not kept: `read` fetches one.
   */
  static async open(directory: string, options: JournalOptions): Promise<{ journal: SegmentJournal; recovered: RecoveredRecord[] }> {
    await fs.mkdir(directory, { recursive: true });
    const names = await fs.readdir(directory);
    const ids = await segmentIds(directory);
    const journal = new SegmentJournal(directory, options.maxBytes, options.logger, (ids[ids.length - 1] ?? 0) + 1);
    await journal.claimFormat(options.format, ids.length > 0);

    // An ack file whose segment is gone was left by a crash between the two unlinks.
    for (const name of names) {
      const match = ACK_NAME.exec(name);
      if (match && !ids.includes(Number(match[1]))) await fs.rm(path.join(directory, name), { force: true });
    }

    const recovered: RecoveredRecord[] = [];
    for (const id of ids) {
      const done = await journal.readAcks(id);
      const segment: Segment = { id, size: 0, live: 0 };
      segment.size = await journal.scanSegment(id, (record) => {
        if (done.has(record.ref.offset)) return;
        recovered.push(record);
        segment.live++;
      });
      journal.segments.set(id, segment);
      if (segment.live === 0) await journal.remove(segment);
    }
    return { journal, recovered };
  }

  /** Checks the directory's FORMAT file, or writes it to a directory that holds no segments yet. */
  private async claimFormat(format: string, hasSegments: boolean): Promise<void> {
    const found = await readFormat(this.directory);
    if (found === format) return;
    // No segments: a new queue, or one whose FORMAT write a crash cut short (empty file).
    if ((found === undefined || found === '') && !hasSegments) {
      await writeFormat(this.directory, format);
      return;
    }
    const written = found === undefined ? `by an earlier Sluice version (it has no ${FORMAT_FILE} file)` : `in format "${found}"`;
    throw new SluiceError(
      'SLUICE_QUEUE_FORMAT',
      `the persistent queue in ${this.directory} holds batches written ${written}, and this version reads "${format}": ` +
        'drain it by running the version that wrote it until its queue is empty, or move the directory aside to start with an empty queue',
    );
  }

  /** Bytes on disk in segments, plus what is waiting to be written. */
  usedBytes(): number {
    let total = this.pendingBytes;
    for (const segment of this.segments.values()) total += segment.size;
    return total;
  }

  /**
   * Writes a record; resolves once it is on disk (written and fsynced). Rejects with a retryable
   * ConsumeError when the disk budget is spent or the write fails (e.g. the disk is full).
   */
  append(payload: Uint8Array): Promise<RecordRef> {
    if (this.closed) return Promise.reject(new ConsumeError('SLUICE_SHUTTING_DOWN', 'the persistent queue is closed', { retryable: true }));
    const framed = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
    framed.writeUInt32LE(payload.byteLength, 0);
    framed.writeUInt32LE(zlib.crc32(payload), 4);
    framed.set(payload, HEADER_BYTES);
    if (this.maxBytes > 0 && this.usedBytes() + framed.length > this.maxBytes) {
      const budgetMib = (this.maxBytes / 1024 / 1024).toFixed(1);
      this.refusals.warn('budget', 'the persistent queue refuses data: its disk budget (max_size_mib) is spent', {
        path: this.directory,
        max_size_mib: Number(budgetMib),
        used_bytes: this.usedBytes(),
      });
      return Promise.reject(
        new ConsumeError('SLUICE_QUEUE_FULL', `the persistent queue has used its disk budget (max_size_mib ${budgetMib})`, {
          retryable: true,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.pendingAppends.push({ framed, resolve, reject });
      this.pendingBytes += framed.length;
      this.pump();
    });
  }

  /**
   * Reads a live record's payload back from disk. Safe alongside appends and acks: a record's
   * segment is deleted only once the record is done. A payload that does not match its checksum
   * rejects with SLUICE_QUEUE_CORRUPT; an I/O error rejects as the system's error.
   */
  async read(ref: RecordRef): Promise<Buffer> {
    const file = this.segmentPath(ref.segment);
    const framed = Buffer.allocUnsafe(HEADER_BYTES + ref.length);
    // A handle per read, not per segment: one open per batch sent costs little and leaves nothing to close.
    const handle = await fs.open(file, 'r');
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(framed, 0, framed.length, ref.offset));
    } finally {
      await handle.close();
    }
    const payload = framed.subarray(HEADER_BYTES);
    if (bytesRead !== framed.length || framed.readUInt32LE(0) !== ref.length || zlib.crc32(payload) !== framed.readUInt32LE(4)) {
      throw new SluiceError(
        'SLUICE_QUEUE_CORRUPT',
        `the persistent queue record at ${file} offset ${ref.offset} (${ref.length} bytes) does not match its checksum`,
      );
    }
    return payload;
  }

  /** Marks a record done; it is forgotten on disk in the background. */
  ack(ref: RecordRef): void {
    if (this.closed) return;
    this.pendingAcks.push(ref);
    this.pump();
  }

  /** Finishes pending writes and acks, then closes the files. What is not done stays for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.pumping) await this.pumping;
    const active = this.active;
    this.active = undefined;
    if (active) {
      await active.handle.close();
      if (active.segment.live === 0) await this.remove(active.segment);
    }
  }

  /** Runs the file work one step at a time, so appends, acks and deletes never interleave. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      while (this.pendingAcks.length > 0 || this.pendingAppends.length > 0) {
        if (this.pendingAcks.length > 0) await this.writeAcks(this.pendingAcks.splice(0));
        if (this.pendingAppends.length > 0) await this.writeAppends(this.pendingAppends.splice(0));
      }
    })()
      .catch((err) => this.logger.error('persistent queue bookkeeping failed', { error: err }))
      .finally(() => {
        this.pumping = undefined;
        // Work that arrived between the loop's last check and now would otherwise wait forever.
        if (this.pendingAcks.length > 0 || this.pendingAppends.length > 0) this.pump();
      });
  }

  private async writeAppends(batch: PendingAppend[]): Promise<void> {
    const bytes = batch.reduce((sum, append) => sum + append.framed.length, 0);
    this.pendingBytes -= bytes;
    let written: { segment: Segment; start: number };
    try {
      written = await this.writeDurably(batch, bytes);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const detail = `the persistent queue could not write to disk${code ? ` (${code})` : ''}: ${(err as Error).message}`;
      this.refusals.warn('write', 'the persistent queue refuses data: a write to disk failed', {
        path: this.directory,
        error: detail,
      });
      const refusal = new ConsumeError('SLUICE_WRITE_FAILED', detail, { retryable: true, cause: err });
      for (const append of batch) append.reject(refusal);
      return;
    }
    const { segment } = written;
    let offset = written.start;
    for (const append of batch) {
      append.resolve({ segment: segment.id, offset, length: append.framed.length - HEADER_BYTES });
      offset += append.framed.length;
    }
    segment.size = offset;
    segment.live += batch.length;
    if (segment.size >= SEGMENT_MAX_BYTES) await this.rollActive();
  }

  /** One write and one fsync for the whole batch of appends. */
  private async writeDurably(batch: PendingAppend[], bytes: number): Promise<{ segment: Segment; start: number }> {
    const active = await this.activeSegment();
    const start = active.segment.size;
    try {
      const { bytesWritten } = await active.handle.write(
        Buffer.concat(
          batch.map((append) => append.framed),
          bytes,
        ),
        0,
        bytes,
        start,
      );
      // A short write without an error is how a full disk shows itself.
      if (bytesWritten !== bytes) throw Object.assign(new Error(`short write (${bytesWritten} of ${bytes} bytes)`), { code: 'ENOSPC' });
      await active.handle.datasync();
    } catch (err) {
      await this.abandonActive(start);
      throw err;
    }
    return { segment: active.segment, start };
  }

  private async writeAcks(refs: RecordRef[]): Promise<void> {
    const bySegment = new Map<number, number[]>();
    for (const ref of refs) {
      const offsets = bySegment.get(ref.segment) ?? [];
      offsets.push(ref.offset);
      bySegment.set(ref.segment, offsets);
    }
    for (const [id, offsets] of bySegment) {
      const segment = this.segments.get(id);
      if (!segment) continue;
      segment.live -= offsets.length;
      const isActive = this.active?.segment === segment;
      if (segment.live === 0 && (!isActive || segment.size >= ROLL_DONE_BYTES)) {
        if (isActive) await this.rollActive();
        else await this.remove(segment);
        continue;
      }
      const record = Buffer.allocUnsafe(4 * offsets.length);
      offsets.forEach((offset, i) => record.writeUInt32LE(offset, 4 * i));
      await fs.appendFile(this.ackPath(id), record);
    }
  }

  private async activeSegment(): Promise<{ segment: Segment; handle: fs.FileHandle }> {
    if (this.active) return this.active;
    const segment: Segment = { id: this.nextId++, size: 0, live: 0 };
    const handle = await fs.open(this.segmentPath(segment.id), 'wx');
    this.segments.set(segment.id, segment);
    this.active = { segment, handle };
    await this.syncDirectory();
    return this.active;
  }

  /** Closes the active segment; deletes it if nothing in it is still pending. */
  private async rollActive(): Promise<void> {
    const active = this.active!;
    this.active = undefined;
    await active.handle.close();
    if (active.segment.live === 0) await this.remove(active.segment);
  }

  /**
   * After a failed write: cut off whatever part of it landed, and never append to this segment
   * again, so a torn record can only ever be the last one of a segment.
   */
  private async abandonActive(validSize: number): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    await active.handle.truncate(validSize).catch(() => undefined);
    await active.handle.close().catch(() => undefined);
    if (active.segment.live === 0) await this.remove(active.segment).catch(() => undefined);
  }

  private async remove(segment: Segment): Promise<void> {
    this.segments.delete(segment.id);
    // The ack file first: a crash in between leaves a segment whose records are all re-sent, never lost.
    await fs.rm(this.ackPath(segment.id), { force: true });
    await fs.rm(this.segmentPath(segment.id), { force: true });
  }

  /** Passes each intact record of a segment to `onRecord`, up to the first torn or corrupt one; returns the segment's size. */
  private async scanSegment(id: number, onRecord: (record: RecoveredRecord) => void): Promise<number> {
    const handle = await fs.open(this.segmentPath(id), 'r');
    try {
      const reader = new ChunkedReader(handle, (await handle.stat()).size);
      let offset = 0;
      while (offset < reader.size) {
        const record = await reader.recordAt(offset);
        if (!record) {
          this.logger.warn('persistent queue: skipped a torn or corrupt record at the end of a segment', {
            segment: this.segmentPath(id),
            offset,
            skipped_bytes: reader.size - offset,
          });
          break;
        }
        onRecord({ ref: { segment: id, offset, length: record.length }, header: record.header });
        offset += HEADER_BYTES + record.length;
      }
      return reader.size;
    } finally {
      await handle.close();
    }
  }

  private async readAcks(id: number): Promise<Set<number>> {
    let data: Buffer;
    try {
      data = await fs.readFile(this.ackPath(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw new SluiceError('SLUICE_WRITE_FAILED', `cannot read ${this.ackPath(id)}`, { cause: err });
    }
    const done = new Set<number>();
    // A torn final ack (fewer than 4 bytes) is ignored: that batch is simply sent again.
    for (let i = 0; i + 4 <= data.length; i += 4) done.add(data.readUInt32LE(i));
    return done;
  }

  /** A refusal's log line, with the free space, which tells a full disk from a spent budget or a failing one. */
  private async warnWithFreeSpace(message: string, fields: LogFields | undefined): Promise<void> {
    let free: number | string;
    try {
      const stats = await fs.statfs(this.directory);
      free = stats.bavail * stats.bsize;
    } catch (err) {
      free = `unknown (${(err as Error).message})`;
    }
    this.logger.warn(message, { ...fields, free_bytes: free });
  }

  private syncDirectory(): Promise<void> {
    return syncDirectory(this.directory);
  }

  private segmentPath(id: number): string {
    return path.join(this.directory, fileName(id, 'seg'));
  }

  private ackPath(id: number): string {
    return path.join(this.directory, fileName(id, 'ack'));
  }
}

// Makes new directory entries (a segment, a renamed file) durable, not just their contents.
async function syncDirectory(directory: string): Promise<void> {
  const dir = await fs.open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function fileName(id: number, kind: 'seg' | 'ack'): string {
  return `${String(id).padStart(10, '0')}.${kind}`;
}

/** The directory's FORMAT, or undefined when it has none (a new queue, or one written before FORMAT existed). */
async function readFormat(directory: string): Promise<string | undefined> {
  const file = path.join(directory, FORMAT_FILE);
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SluiceError('SLUICE_WRITE_FAILED', `cannot read ${file}`, { cause: err });
  }
}

/** Writes the directory's FORMAT all or nothing: a crash never leaves a half-written one. */
async function writeFormat(directory: string, format: string): Promise<void> {
  const file = path.join(directory, FORMAT_FILE);
  const partial = `${file}.tmp`;
  const handle = await fs.open(partial, 'w');
  try {
    await handle.writeFile(`${format}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(partial, file);
  await syncDirectory(directory);
}

async function segmentIds(directory: string): Promise<number[]> {
  const names = await fs.readdir(directory);
  return names.flatMap((name) => (SEGMENT_NAME.test(name) ? [Number(SEGMENT_NAME.exec(name)![1])] : [])).sort((a, b) => a - b);
}

/**
 * Moves the journal in `source` into the one in `target`, neither of them open, and removes
 * `source`: the queue a pipeline process left (`service.workers` lowered) is then sent by one
 * that runs. Segments keep their order, numbered after the target's, each with its ack file (a
 * crash between the two renames only sends that segment's batches again). Returns false, and
 * leaves `source` as it is, when the two hold different formats.
 */
export async function adoptJournal(target: string, source: string): Promise<boolean> {
  let ids: number[];
  try {
    ids = await segmentIds(source);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  await fs.mkdir(target, { recursive: true });
  const targetIds = await segmentIds(target);
  if (ids.length > 0) {
    const [format, targetFormat] = await Promise.all([readFormat(source), readFormat(target)]);
    // A target with segments and no FORMAT was written by an earlier version: only the same kind joins it.
    const expected = targetFormat === undefined && targetIds.length === 0 ? format : targetFormat;
    if (format !== expected) return false;
    // Copied, not moved: a crash before the segments move must leave the source still naming its format.
    if (targetFormat === undefined && format !== undefined) await writeFormat(target, format);
  }
  let next = (targetIds[targetIds.length - 1] ?? 0) + 1;
  for (const id of ids) {
    await fs.rename(path.join(source, fileName(id, 'seg')), path.join(target, fileName(next, 'seg')));
    await fs.rename(path.join(source, fileName(id, 'ack')), path.join(target, fileName(next, 'ack'))).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
    next++;
  }
  await syncDirectory(target);
  await fs.rm(source, { recursive: true, force: true });
  return true;
}

/**
 * Reads a segment front to back through one READ_CHUNK_BYTES buffer, so checking a segment of any
 * size (or a record bigger than the buffer) takes the same memory.
 */
class ChunkedReader {
  private readonly buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  /** The file range the buffer holds. */
  private start = 0;
  private end = 0;

  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
  ) {}

  /** The record framed at `offset`, if it is whole and matches its checksum. */
  async recordAt(offset: number): Promise<{ length: number; header: number | undefined } | undefined> {
    const frame = await this.bytesAt(offset, HEADER_BYTES);
    if (frame.length < HEADER_BYTES) return undefined;
    const length = frame.readUInt32LE(0);
    const expected = frame.readUInt32LE(4);
    const first = offset + HEADER_BYTES;
    const end = first + length;
    if (end > this.size) return undefined;
    let header: number | undefined;
    let crc = 0;
    for (let at = first; at < end;) {
      const piece = await this.bytesAt(at, Math.min(4, end - at));
      const part = piece.subarray(0, end - at);
      if (part.length === 0) return undefined; // the file ended early
      if (at === first && part.length >= 4) header = part.readUInt32LE(0);
      crc = zlib.crc32(part, crc);
      at += part.length;
    }
    return crc === expected ? { length, header } : undefined;
  }

  /** The bytes from `at` to the end of the buffer, at least `min` of them unless the file ends first. */
  private async bytesAt(at: number, min: number): Promise<Buffer> {
    if (at < this.start || at + min > this.end) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, this.buffer.length, at);
      this.start = at;
      this.end = at + bytesRead;
    }
    return this.buffer.subarray(at - this.start, this.end - this.start);
  }
}
