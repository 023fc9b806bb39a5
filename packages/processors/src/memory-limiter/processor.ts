import { totalmem } from 'node:os';
import { type CreateSettings, type Host, type LogsConsumer, type Processor } from '@sluice/core';
import { countLogRecords, retryableError, type ClientContext, type LogsData } from '@sluice/pdata';
import { memoryLimits, type MemoryLimiterConfig } from './config';

/** What the limiter measures and does; injectable so tests can drive memory use and time. */
export interface MemoryLimiterHooks {
  /** Bytes in use now (default: the process's resident set size). */
  readMemory?: () => number;
  /** Memory available to the process (default: the cgroup limit, else the machine's memory). */
  totalMemory?: () => number;
  /** Asks the runtime to collect garbage (default: `global.gc` when Node runs with --expose-gc). */
  forceGc?: (() => void) | undefined;
  /** Runs `check` every `ms`; returns a function that stops it (default: an unref'd setInterval). */
  every?: (ms: number, check: () => void) => () => void;
}

const MIB = 1024 * 1024;

/**
 * otelcol's memory_limiter: measures memory every check_interval; while it is above the soft
 * limit every batch is refused as retryable, so receivers answer 429/503 or RESOURCE_EXHAUSTED and
 * clients back off. Above the hard limit it also forces a garbage collection when it can.
 * Refusing is decided by the last measurement, so the hot path costs one boolean test.
 */
export class MemoryLimiterProcessor implements Processor {
  private readonly limits: { hard: number; soft: number };
  private readonly readMemory: () => number;
  private readonly forceGc: (() => void) | undefined;
  private readonly every: (ms: number, check: () => void) => () => void;
  private readonly refused: { inc(count: number): void };
  private refusing = false;
  private stopTimer: (() => void) | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MemoryLimiterConfig,
    private readonly next: LogsConsumer,
    hooks: MemoryLimiterHooks = {},
  ) {
    this.limits = memoryLimits(config, (hooks.totalMemory ?? availableMemory)());
    this.readMemory = hooks.readMemory ?? (() => process.memoryUsage.rss());
    this.forceGc = 'forceGc' in hooks ? hooks.forceGc : (globalThis as { gc?: () => void }).gc;
    this.every = hooks.every ?? everyInterval;
    this.refused = settings.telemetry
      .counter('otelcol_processor_refused_log_records_total', 'Log records refused by a processor (memory_limiter above its soft limit).', [
        'processor',
      ])
      .labels({ processor: settings.id });
  }

  start(_host: Host): Promise<void> {
    if (this.stopTimer) return Promise.resolve();
    this.settings.logger.info('memory limiter started', {
      hard_limit_mib: toMib(this.limits.hard),
      soft_limit_mib: toMib(this.limits.soft),
    });
    this.check();
    this.stopTimer = this.every(this.config.check_interval, () => this.check());
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    return Promise.resolve();
  }

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    if (!this.refusing) return this.next.consume(logs, context);
    this.refused.inc(countLogRecords(logs));
    return Promise.reject(
      retryableError(
        'SLUICE_MEMORY_LIMITED',
        `memory use is above the soft limit of ${toMib(this.limits.soft)} MiB (${this.settings.id}); retry later`,
        this.config.check_interval,
      ),
    );
  }

  private check(): void {
    let used = this.readMemory();
    if (used > this.limits.hard && this.forceGc) {
      this.forceGc();
      used = this.readMemory();
    }
    const above = used > this.limits.soft;
    if (above === this.refusing) return;
    this.refusing = above;
    const fields = { used_mib: toMib(used), soft_limit_mib: toMib(this.limits.soft) };
    if (above) this.settings.logger.warn('memory use is above the soft limit; refusing data', fields);
    else this.settings.logger.info('memory use is below the soft limit again; accepting data', fields);
  }
}

function everyInterval(ms: number, check: () => void): () => void {
  const timer = setInterval(check, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** The cgroup's memory limit where one is set (containers), else the machine's memory. */
function availableMemory(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = totalmem();
  return constrained && constrained > 0 && constrained < total ? constrained : total;
}

function toMib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}
