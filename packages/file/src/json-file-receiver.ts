/**
 * otelcol's `otlpjsonfile` receiver: polls the files its globs match and sends each OTLP/JSON
 * line down the pipeline. `start_at: end` (otelcol's default) reads only what is written after
 * the start; `replay_file: true` reads every file in full at each poll. Gzip files are read
 * decompressed. Positions are kept in memory only: a restart starts over as `start_at` says.
 */
import { z } from 'zod';
import {
  duration,
  receiverMetrics,
  section,
  type CreateSettings,
  type LogsConsumer,
  type Receiver,
  type ReceiverFactory,
} from '@sluice/core';
import { expandGlobs } from './glob';
import { JsonFileReader } from './json-file-reader';

const patterns = z.array(z.string().min(1, { message: 'a glob must not be empty' }));

export const jsonFileReceiverSchema = section({
  include: patterns.min(1, { message: 'must list at least one glob' }),
  exclude: patterns.default([]),
  start_at: z.enum(['beginning', 'end']).default('end'),
  poll_interval: duration('200ms'),
  replay_file: z.boolean().default(false),
  /** Gzip is recognised by its magic bytes whatever this says; otelcol's values are accepted. */
  compression: z.enum(['', 'gzip', 'auto']).default(''),
});
export type JsonFileReceiverConfig = z.infer<typeof jsonFileReceiverSchema>;

class JsonFileReceiver implements Receiver {
  private readonly reader: JsonFileReader;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: JsonFileReceiverConfig,
    next: LogsConsumer,
  ) {
    const metrics = receiverMetrics(settings.telemetry);
    const labels = { receiver: settings.id, transport: 'file' };
    this.reader = new JsonFileReader({
      consumer: next,
      logger: settings.logger,
      onLine: (_file, records) => metrics.accepted.inc(labels, records),
    });
  }

  async start(): Promise<void> {
    if (this.config.start_at === 'end') await this.reader.skipExisting(await this.files());
    this.schedule(0);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule(this.config.poll_interval);
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    try {
      await this.reader.read(await this.files(), { again: this.config.replay_file });
    } catch (err) {
      // Refused by the pipeline or unreadable: the same line is tried again at the next poll.
      this.settings.logger.warn('reading files paused until the next poll', { error: (err as Error).message });
    }
  }

  private files(): Promise<string[]> {
    return expandGlobs(this.config.include, this.config.exclude);
  }
}

export const jsonFileReceiverFactory: ReceiverFactory<JsonFileReceiverConfig> = {
  kind: 'receiver',
  type: 'otlpjsonfile',
  description: 'Reads OTLP/JSON files (what the jsonl exporter writes, rotated and .gz files too) back into a pipeline',
  configSchema: jsonFileReceiverSchema,
  unsupportedKeys: {
    storage: { effect: 'ignore', why: 'positions are kept in memory; after a restart start_at decides where reading starts' },
  },
  create: (settings, config, next) => new JsonFileReceiver(settings, config, next),
};
