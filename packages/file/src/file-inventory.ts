/**
 * The files of a jsonl exporter on disk, grouped per server and signal: each active file with
 * its rotated siblings (`logs-<time>.jsonl`, `.gz`, unfinished `.gz.tmp`). The server is what
 * the path's placeholders (or group_by's `*`) matched, joined by `/`; the jsonl exporter writes
 * logs only, so every file is of signal `logs`.
 *
 * Both the `sluice files` command and the `file_admin` extension list and wipe through here.
 */
import { rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SluiceError, decodeLogsJson } from '@sluice/pdata';
import type { JsonlConfig } from './config';
import { formatRfc3339Nano } from './flat';
import { filesUnder } from './glob';
import { readLines } from './line-reader';

export const SIGNALS = ['logs', 'metrics', 'traces'] as const;
export type Signal = (typeof SIGNALS)[number];

/** Which files: an absent field matches everything. */
export interface FileSelector {
  server?: string;
  signal?: string;
}

export interface FileGroup {
  server: string;
  signal: Signal;
  /** The active file (it may be missing between a rotation and the next write). */
  path: string;
  /** Every file of the group that exists: the active one first, then backups newest first. */
  files: string[];
}

export interface InventoryEntry {
  server: string;
  signal: Signal;
  path: string;
  size_bytes: number;
  /** The earliest record time in the oldest file's first batch (RFC3339, nanoseconds), null when no record has one. */
  oldest: string | null;
  /** The latest record time in the newest file's last batch. */
  newest: string | null;
  file_count: number;
}

/** One row of `sluice files list --json` and of file_admin's `GET /files`: an inventory entry and its exporter. */
export interface FileListRow extends InventoryEntry {
  exporter: string;
}

/** The JSON both print, so a script reads the same bytes from either. */
export function fileListJson(rows: readonly FileListRow[]): string {
  return `${JSON.stringify(rows)}\n`;
}

const BACKUP = /^(.*)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}((?:\.[^.]*)?)$/;

/** Throws SLUICE_UNKNOWN_SIGNAL for a signal name that is not one of SIGNALS. */
export function checkSignal(signal: string | undefined): void {
  if (signal !== undefined && signal !== '' && !(SIGNALS as readonly string[]).includes(signal)) {
    throw new SluiceError('SLUICE_UNKNOWN_SIGNAL', `unknown signal "${signal}"; use one of ${SIGNALS.join(', ')}`);
  }
}

export async function findFileGroups(config: JsonlConfig, selector: FileSelector = {}): Promise<FileGroup[]> {
  checkSignal(selector.signal);
  if (selector.signal && selector.signal !== 'logs') return [];
  const { baseDir, match } = matcher(config);
  const groups = new Map<string, FileGroup>();
  for (const file of await filesUnder(baseDir)) {
    const active = activePathOf(file);
    const server = match(active);
    if (server === undefined) continue;
    if (selector.server && selector.server !== server && selector.server !== server.slice(server.lastIndexOf('/') + 1)) continue;
    let group = groups.get(active);
    if (!group) groups.set(active, (group = { server, signal: 'logs', path: active, files: [] }));
    if (file === active) group.files.unshift(file);
    else group.files.push(file);
  }
  for (const group of groups.values()) {
    const active = group.files[0] === group.path ? [group.path] : [];
    // Backup names sort by time: newest first.
    group.files = [...active, ...group.files.slice(active.length).sort().reverse()];
  }
  return [...groups.values()].sort((a, b) => a.server.localeCompare(b.server) || a.path.localeCompare(b.path));
}

export async function inventory(config: JsonlConfig, selector: FileSelector = {}): Promise<InventoryEntry[]> {
  const entries: InventoryEntry[] = [];
  for (const group of await findFileGroups(config, selector)) {
    let size = 0;
    for (const file of group.files)
      size += await stat(file).then(
        (s) => s.size,
        () => 0,
      );
    const readable = group.files.filter((file) => !file.endsWith('.tmp'));
    const oldest = readable.length > 0 ? await batchTime(readable[readable.length - 1]!, 'first', config.format) : undefined;
    const newest = readable.length > 0 ? await batchTime(readable[0]!, 'last', config.format) : undefined;
    entries.push({
      server: group.server,
      signal: group.signal,
      path: group.path,
      size_bytes: size,
      oldest: oldest === undefined ? null : formatRfc3339Nano(oldest),
      newest: newest === undefined ? null : formatRfc3339Nano(newest),
      file_count: group.files.length,
    });
  }
  return entries;
}

/** Removes every file of the groups, then their directories left empty (never the base directory). */
export async function removeFiles(config: JsonlConfig, groups: readonly FileGroup[]): Promise<number> {
  let removed = 0;
  for (const group of groups) {
    for (const file of group.files) {
      try {
        await unlink(file);
        removed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  const { baseDir } = matcher(config);
  for (const group of groups) {
    for (let dir = dirname(group.path); dir.startsWith(`${baseDir}/`); dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        break;
    }
  }
  return removed;
}

/** The directory to search and a function from an active file's path to its server ('' for a single file), undefined when not the exporter's. */
function matcher(config: JsonlConfig): { baseDir: string; match: (path: string) => string | undefined } {
  if (config.template) {
    const prefix = normalizedPrefix(config.template.prefix);
    const pattern = config.template.toRegExp(prefix);
    return { baseDir: dirname(`${prefix}x`), match: (path) => pattern.exec(path)?.slice(1).join('/') };
  }
  if (config.group_by.enabled) {
    const [rawPrefix, suffix] = config.path.split('*') as [string, string];
    const prefix = normalizedPrefix(rawPrefix);
    return {
      baseDir: dirname(`${prefix}x`),
      match: (path) =>
        path.length > prefix.length + suffix.length && path.startsWith(prefix) && path.endsWith(suffix)
          ? path.slice(prefix.length, path.length - suffix.length)
          : undefined,
    };
  }
  const path = join(config.path);
  return { baseDir: dirname(path), match: (file) => (file === path ? '' : undefined) };
}

/** `./logs/app-` → `logs/app-`: the text before a placeholder as the directory walk spells paths. */
function normalizedPrefix(prefix: string): string {
  return join(`${prefix}x`).slice(0, -1);
}

/** The active file a backup belongs to (`logs-<time>.jsonl.gz` → `logs.jsonl`); the path itself otherwise. */
function activePathOf(file: string): string {
  const name = basename(file)
    .replace(/\.tmp$/, '')
    .replace(/\.gz$/, '');
  const backup = BACKUP.exec(name);
  return backup ? join(dirname(file), `${backup[1]}${backup[2]}`) : file;
}

/** The earliest (`first`) or latest (`last`) record time of the file's first or last readable line. */
async function batchTime(file: string, which: 'first' | 'last', format: 'json' | 'flat'): Promise<bigint | undefined> {
  let found: bigint[] | undefined;
  try {
    for await (const line of readLines(file, undefined, true)) {
      const times = recordTimes(line.bytes, format);
      if (times === undefined || times.length === 0) continue;
      found = times;
      if (which === 'first') break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!found) return undefined;
  return found.reduce((a, b) => (which === 'first' ? (b < a ? b : a) : b > a ? b : a));
}

function recordTimes(bytes: Buffer, format: 'json' | 'flat'): bigint[] | undefined {
  try {
    if (format === 'flat') {
      const record = JSON.parse(bytes.toString('utf8')) as { time_unix_nano?: string; observed_time_unix_nano?: string };
      const time = record.time_unix_nano ?? record.observed_time_unix_nano;
      return time === undefined ? [] : [BigInt(time)];
    }
    const times: bigint[] = [];
    for (const rl of decodeLogsJson(bytes).resourceLogs) {
      for (const sl of rl.scopeLogs)
        for (const r of sl.logRecords) if (r.timeUnixNano || r.observedTimeUnixNano) times.push(r.timeUnixNano || r.observedTimeUnixNano);
    }
    return times;
  } catch {
    return undefined; // a malformed line says nothing about times
  }
}
