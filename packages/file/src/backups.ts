/**
 * Rotated files ("backups"), named as lumberjack and otelcol's fileexporter name them:
 * `/dir/logs.jsonl` → `/dir/logs-2006-01-02T15-04-05.000.jsonl[.gz]`, UTC unless `localtime`.
 *
 * A BackupMill compresses and prunes backups off the write path, one pass at a time. Compression
 * writes `<backup>.gz.tmp`, fsyncs it and renames it to `<backup>.gz` before removing the plain
 * backup, so a process that stops mid-way leaves the plain file intact; the next pass (at the
 * next start) compresses it again and removes the stale temporary file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from '@sluice/core';

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/;
const DAY_MS = 86_400_000;

export function backupPath(filePath: string, timeMs: number, localtime: boolean): string {
  const { prefix, ext } = nameParts(filePath);
  return join(dirname(filePath), `${prefix}${formatBackupTime(new Date(timeMs), localtime)}${ext}`);
}

function nameParts(filePath: string): { prefix: string; ext: string } {
  const name = basename(filePath);
  const ext = extname(name);
  return { prefix: `${name.slice(0, name.length - ext.length)}-`, ext };
}

function formatBackupTime(date: Date, localtime: boolean): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const [year, month, day, hour, minute, second, ms] = localtime
    ? [
        date.getFullYear(),
        date.getMonth() + 1,
        date.getDate(),
        date.getHours(),
        date.getMinutes(),
        date.getSeconds(),
        date.getMilliseconds(),
      ]
    : [
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        date.getUTCHours(),
        date.getUTCMinutes(),
        date.getUTCSeconds(),
        date.getUTCMilliseconds(),
      ];
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}-${pad(minute)}-${pad(second)}.${pad(ms, 3)}`;
}

function parseBackupTime(text: string, localtime: boolean): number | undefined {
  const match = TIME_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, ms] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return localtime
    ? new Date(year, month - 1, day, hour, minute, second, ms).getTime()
    : Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** One backup: its plain file, its complete `.gz`, or both (a pass stopped between rename and unlink). */
export interface Backup {
  timeMs: number;
  plain?: string;
  gzip?: string;
}

/** Every backup of `filePath` on disk, newest first, plus stale `.gz.tmp` files of unfinished compressions. */
export async function listBackups(filePath: string, localtime: boolean): Promise<{ backups: Backup[]; stale: string[] }> {
  const dir = dirname(filePath);
  const { prefix, ext } = nameParts(filePath);
  const byTime = new Map<number, Backup>();
  const stale: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const kind = rest.endsWith(`${ext}.gz.tmp`) ? 'tmp' : rest.endsWith(`${ext}.gz`) ? 'gzip' : rest.endsWith(ext) ? 'plain' : undefined;
    if (kind === undefined) continue;
    const suffixLength = { tmp: ext.length + 7, gzip: ext.length + 3, plain: ext.length }[kind];
    const timeMs = parseBackupTime(rest.slice(0, rest.length - suffixLength), localtime);
    if (timeMs === undefined) continue;
    const path = join(dir, name);
    if (kind === 'tmp') {
      stale.push(path);
      continue;
    }
    const backup = byTime.get(timeMs) ?? { timeMs };
    backup[kind] = path;
    byTime.set(timeMs, backup);
  }
  return { backups: [...byTime.values()].sort((a, b) => b.timeMs - a.timeMs), stale };
}

export interface BackupMillOptions {
  filePath: string;
  maxBackups: number;
  maxDays: number;
  localtime: boolean;
  compress: boolean;
  logger: Logger;
  now: () => number;
}

export class BackupMill {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: BackupMillOptions) {}

  /** Asks for a pass; passes never overlap, and requests made during one run one more pass after it. */
  run(): void {
    if (this.abort.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) => this.options.logger.error('rotated file maintenance failed', { path: this.options.filePath, error: err }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }

  /** Stops an ongoing compression (its plain backup stays, for the next start) and waits for pruning to end. */
  async close(): Promise<void> {
    this.abort.abort();
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    const { filePath, maxBackups, maxDays, localtime, compress, now } = this.options;
    const { backups, stale } = await listBackups(filePath, localtime);
    for (const path of stale) await unlinkIfPresent(path);
    const oldestKept = maxDays > 0 ? now() - maxDays * DAY_MS : -Infinity;
    for (const [index, backup] of backups.entries()) {
      const prune = (maxBackups > 0 && index >= maxBackups) || backup.timeMs < oldestKept;
      if (prune) {
        if (backup.plain) await unlinkIfPresent(backup.plain);
        if (backup.gzip) await unlinkIfPresent(backup.gzip);
      } else if (backup.plain && backup.gzip) {
        await unlinkIfPresent(backup.plain); // the .gz was completed before the previous pass stopped
      } else if (backup.plain && compress && !this.abort.signal.aborted) {
        await this.compress(backup.plain);
      }
    }
  }

  private async compress(plain: string): Promise<void> {
    const tmp = `${plain}.gz.tmp`;
    try {
      await pipeline(createReadStream(plain), createGzip(), createWriteStream(tmp, { mode: 0o640, flush: true }), {
        signal: this.abort.signal,
      });
    } catch (err) {
      await unlinkIfPresent(tmp);
      if (this.abort.signal.aborted) return;
      throw err;
    }
    await rename(tmp, `${plain}.gz`);
    await unlink(plain);
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
