/**
 * The `file_storage` extension, as otelcol's: gives components (the persistent sending queue)
 * a private directory under `directory`. Sluice adds `max_size_mib`, a disk budget that a queue
 * checks before accepting data, so a long outage fills a known amount of disk, not all of it.
 *
 * Differences from otelcol, on purpose: `create_directory` defaults to true (a missing directory
 * is the most common first-run error), and writes are always fsynced, whatever `fsync` says —
 * "accepted" must mean "survives a crash".
 */
import { accessSync, promises as fs, constants as fsConstants, statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { CreateSettings, ExtensionFactory } from '../component';
import { duration, requiredString, section } from '../config/schema';
import { SluiceError } from '@sluice/pdata';
import { adoptJournal } from '../exporterhelper/segment-journal';
import type { StorageExtension } from './contracts';

export const fileStorageConfigSchema = section({
  directory: requiredString(),
  create_directory: z.boolean().default(true),
  /** 0 = unbounded. */
  max_size_mib: z.number().min(0).default(0),
  /** otelcol's wait for the database file lock; Sluice takes no lock, so it is accepted and unused. */
  timeout: duration('1s'),
  /** Accepted for otelcol compatibility; Sluice always fsyncs. */
  fsync: z.boolean().default(false),
});

export type FileStorageConfig = z.infer<typeof fileStorageConfigSchema>;

export const fileStorageExtensionFactory: ExtensionFactory<FileStorageConfig> = {
  kind: 'extension',
  type: 'file_storage',
  description: 'Keeps component state (persistent sending queues) in a directory on disk.',
  configSchema: fileStorageConfigSchema,
  provides: ['storage'],
  unsupportedKeys: {
    compaction: { effect: 'ignore', why: 'Sluice queues compact themselves by deleting finished segment files' },
    directory_permissions: { effect: 'ignore', why: 'directories are created with the process umask' },
    recreate: { effect: 'ignore', why: 'a torn queue tail is skipped at start, so there is no database to recreate' },
  },
  checkStart: (config) => {
    const problem = directoryProblem(config);
    return problem === undefined ? [] : [{ path: ['directory'], code: 'SLUICE_CONFIG_INVALID_VALUE', message: problem }];
  },
  create: (settings, config) => new FileStorage(settings, config),
};

/**
 * Why `directory` cannot hold the storage, found without changing the disk (validation must
 * not create it): an existing path must be a writable directory; a missing one needs
 * create_directory and a nearest existing ancestor that is a writable directory.
 */
function directoryProblem(config: FileStorageConfig): string | undefined {
  const target = path.resolve(config.directory);
  let existing = target;
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) {
        return existing === target
          ? `"${config.directory}" is not a directory`
          : `"${config.directory}" cannot be created: "${existing}" is not a directory`;
      }
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = path.dirname(existing);
      // ENOTDIR: a file sits somewhere above; walking up finds and names it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) {
        return `"${config.directory}" cannot be checked: ${(err as Error).message}`;
      }
      existing = parent;
    }
  }
  if (existing !== target && !config.create_directory) {
    return `"${config.directory}" does not exist; create it or set create_directory: true`;
  }
  try {
    accessSync(existing, fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    const what = existing === target ? `"${config.directory}"` : `"${config.directory}" cannot be created: "${existing}"`;
    return `${what} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  return undefined;
}

class FileStorage implements StorageExtension {
  readonly maxSizeBytes: number;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: FileStorageConfig,
  ) {
    this.maxSizeBytes = Math.floor(config.max_size_mib * 1024 * 1024);
  }

  async start(): Promise<void> {
    const { directory } = this.config;
    // Validation checked this already; the disk can change between the two.
    try {
      if (this.config.create_directory) await fs.mkdir(directory, { recursive: true });
      const stat = await fs.stat(directory);
      if (!stat.isDirectory()) throw new Error('not a directory');
      await fs.access(directory, fsConstants.W_OK);
    } catch (err) {
      throw new SluiceError(
        'SLUICE_CONFIG_INVALID_VALUE',
        `${this.settings.id}: directory "${directory}" is not a writable directory (${(err as Error).message})${this.config.create_directory ? '' : '; create it or set create_directory: true'}`,
        { cause: err },
      );
    }
  }

  async shutdown(): Promise<void> {}

  /**
   * `exporter`, `loki/eu`, `logs` → `<directory>/exporter_loki_eu_logs`, the naming otelcol uses
   * for its files; `<directory>/worker-<i>/...` in pipeline process i of `service.workers` > 1.
   * Directories the same component left in processes that no longer run (fewer workers than
   * before, or one process after several) are merged into it first, so every queue is resumed
   * whatever the number of workers. Each leftover has one adopter (index modulo the worker
   * count; the top level goes to worker 0), and each process owns its index: two processes never
   * open the same directory.
   */
  async directoryFor(kind: string, componentId: string, purpose: string): Promise<string> {
    const name = [kind, componentId, purpose].join('_').replace(/[^A-Za-z0-9._-]/g, '_');
    const { index, count } = this.settings.worker ?? { index: 0, count: 1 };
    const own = count > 1 ? workerDirectory(this.config.directory, index) : this.config.directory;
    const dir = path.join(own, name);
    await fs.mkdir(dir, { recursive: true });
    for (const leftover of await this.leftovers(index, count)) {
      const source = path.join(leftover, name);
      if (!(await adoptJournal(dir, source))) {
        this.settings.logger.warn('a queue left by another worker holds another format; it stays where it is', { path: source });
      } else if (leftover !== this.config.directory) {
        await fs.rmdir(leftover).catch(() => undefined); // succeeds once empty: other components may still have theirs there
      }
    }
    return dir;
  }

  /** The directories this process adopts: those of worker indexes it no longer runs. */
  private async leftovers(index: number, count: number): Promise<string[]> {
    const found: string[] = [];
    if (count > 1 && index === 0) found.push(this.config.directory);
    for (const entry of await fs.readdir(this.config.directory)) {
      const match = WORKER_DIRECTORY.exec(entry);
      const worker = match ? Number(match[1]) : 0;
      const owned = count > 1 && worker < count; // by a running worker (itself included)
      if (match && !owned && worker % count === index) found.push(path.join(this.config.directory, entry));
    }
    return found;
  }
}

const WORKER_DIRECTORY = /^worker-(\d+)$/;

function workerDirectory(directory: string, index: number): string {
  return path.join(directory, `worker-${index}`);
}
