/**
 * Reads OTLP/JSON files (one LogsData per line, as the jsonl exporter writes them) into a
 * consumer, one line = one batch. A malformed line is skipped, counted and logged with its
 * `file:line`; the rest of the file goes on.
 *
 * Files are known by a fingerprint, the hash of their first line, not by name: a rotated file
 * (`logs.jsonl` → `logs-<time>.jsonl` → `logs-<time>.jsonl.gz`) keeps its first line, so it is
 * read on from where the reader stopped, and nothing is read twice.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Logger, LogsConsumer } from '@sluice/core';
import { countLogRecords, decodeLogsJson } from '@sluice/pdata';
import { readLines, type ReadFrom } from './line-reader';

export interface ReadTotals {
  /** Records the consumer accepted. */
  records: number;
  /** Malformed lines skipped. */
  skipped: number;
  /** Files whose compressed data is corrupt or cut short, skipped (from where it breaks). */
  corruptFiles: number;
}

export interface JsonFileReaderOptions {
  consumer: LogsConsumer;
  logger: Logger;
  /** After each accepted batch or skipped line: for counters and progress bars. */
  onLine?(file: string, records: number, skipped: boolean): void;
}

export class JsonFileReader {
  /** Where each file (by fingerprint) was read up to. */
  private positions = new Map<string, ReadFrom>();
  readonly totals: ReadTotals = { records: 0, skipped: 0, corruptFiles: 0 };
  /** Corrupt files already reported, by path and size: a poll that meets one again stays quiet. */
  private readonly corrupt = new Set<string>();

  constructor(private readonly options: JsonFileReaderOptions) {}

  /** Marks what the files hold now as read, so only what is appended later is read (`start_at: end`). */
  async skipExisting(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      let fingerprint: string | undefined;
      let last: ReadFrom = { offset: 0, line: 0 };
      try {
        fingerprint = await fingerprintOf(path);
        if (fingerprint === undefined) continue;
        for await (const line of readLines(path)) last = { offset: line.end, line: line.number };
      } catch (err) {
        const code = zlibErrorCode(err);
        if (code === undefined) {
          // Unreadable for now (a permission, a file gone): the polls try it again and say why.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            this.options.logger.warn('cannot read a file to start at its end; polls will try it again', {
              file: path,
              error: (err as Error).message,
            });
          }
          continue;
        }
        // A gzip member still being written is skipped as far as it goes; a damaged one is reported.
        if (code !== 'Z_BUF_ERROR') await this.reportCorrupt(path, err as Error);
      }
      if (fingerprint !== undefined) this.positions.set(fingerprint, last);
    }
  }

  /**
   * Reads each file on from where it was left (from its start when `again`: otelcol's
   * `replay_file`). `final` also reads a last line without a newline: nobody writes to it any more.
   * A consumer refusal stops the pass; the refused line is read again next time.
   */
  async read(paths: readonly string[], options: { final?: boolean; again?: boolean } = {}): Promise<void> {
    const seen = new Map<string, ReadFrom>();
    for (const path of paths) {
      let fingerprint: string | undefined;
      try {
        fingerprint = await fingerprintOf(path, options.final);
        if (fingerprint === undefined || seen.has(fingerprint)) continue;
        const from = (options.again ? undefined : this.positions.get(fingerprint)) ?? { offset: 0, line: 0 };
        seen.set(fingerprint, from);
        try {
          for await (const line of readLines(path, from, options.final)) {
            await this.readLine(path, line.bytes, line.number);
            seen.set(fingerprint, { offset: line.end, line: line.number });
          }
        } finally {
          this.positions.set(fingerprint, seen.get(fingerprint)!);
        }
      } catch (err) {
        const code = zlibErrorCode(err);
        if (code === undefined) throw err;
        // A gzip member cut short may still be being written (`compression: gzip`): like a partial line, read it next time.
        if (code === 'Z_BUF_ERROR' && !options.final) continue;
        // A damaged .gz loses what follows the damage, not the rest of the pass.
        await this.reportCorrupt(path, err as Error);
      }
    }
    // Forget files that are gone, so the map does not grow with every rotation.
    if (!options.again)
      for (const fingerprint of [...this.positions.keys()]) if (!seen.has(fingerprint)) this.positions.delete(fingerprint);
  }

  private async reportCorrupt(path: string, err: Error): Promise<void> {
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    const key = `${path}\0${size}`;
    if (this.corrupt.has(key)) return;
    this.corrupt.add(key);
    this.totals.corruptFiles++;
    this.options.logger.warn('corrupt compressed file skipped', { file: path, error: err.message });
  }

  private async readLine(path: string, bytes: Buffer, number: number): Promise<void> {
    if (isBlank(bytes)) return;
    let logs;
    try {
      logs = decodeLogsJson(bytes);
    } catch (err) {
      this.totals.skipped++;
      this.options.logger.warn('malformed line skipped', { location: `${path}:${number}`, error: (err as Error).message });
      this.options.onLine?.(path, 0, true);
      return;
    }
    const records = countLogRecords(logs);
    if (records > 0) await this.options.consumer.consume(logs, {});
    this.totals.records += records;
    this.options.onLine?.(path, records, false);
  }
}

/** The hash of the file's first line; undefined while it has none (yet). */
async function fingerprintOf(path: string, partial = false): Promise<string | undefined> {
  try {
    for await (const line of readLines(path, { offset: 0, line: 0 }, partial)) {
      return createHash('sha256').update(line.bytes).digest('hex');
    }
  } catch (err) {
    // A file removed between listing and reading (pruned, wiped) is simply not there any more.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return undefined;
}

/** zlib's error code (Z_DATA_ERROR: damaged; Z_BUF_ERROR: "unexpected end of file"), else undefined. */
function zlibErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_') ? code : undefined;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}
