/**
 * The `file_storage` extension, as otelcol's: gives components (the persistent sending queue)
 * a private directory under `directory`. Sluice adds `max_size_mib`, a disk budget that a queue
 * checks before accepting data, so a long outage fills a known amount of disk, not all of it.
 *
 * Differences from otelcol, on purpose: `create_directory` defaults to true (a missing directory
 * is the most common first-run error), and writes are always fsynced, whatever `fsync` says —
 * "accepted" must mean "survives a crash".
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { CreateSettings, ExtensionFactory } from '../component';
import { duration, requiredString, section } from '../config/schema';
import { SluiceError } from '@sluice/pdata';
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
  create: (settings, config) => new FileStorage(settings, config),
};

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
    if (this.config.create_directory) await fs.mkdir(directory, { recursive: true });
    try {
      const stat = await fs.stat(directory);
      if (!stat.isDirectory()) throw new Error('not a directory');
      await fs.access(directory, fsConstants.W_OK);
    } catch (err) {
      throw new SluiceError(
        'SLUICE_CONFIG_INVALID_VALUE',
        `${this.settings.id}: directory "${directory}" is not a writable directory (${(err as Error).message}); create it or set create_directory: true`,
        { cause: err },
      );
    }
  }

  async shutdown(): Promise<void> {}

  /** `exporter`, `loki/eu`, `logs` → `<directory>/exporter_loki_eu_logs`, the naming otelcol uses for its files. */
  async directoryFor(kind: string, componentId: string, purpose: string): Promise<string> {
    const name = [kind, componentId, purpose].join('_').replace(/[^A-Za-z0-9._-]/g, '_');
    const dir = path.join(this.config.directory, name);
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }
}
