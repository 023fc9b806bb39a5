/**
 * `service.workers` > 1 (or `sluice --workers N`): N pipeline processes share the listening ports
 * through node:cluster, each with its own queues. The primary runs no pipeline: it forks the
 * workers, serves the self-metrics and health endpoints for all of them (asking each over IPC),
 * restarts a worker that dies, and on SIGTERM drains them all.
 *
 * Scheduling: round-robin (cluster.SCHED_RR), set explicitly so it is the same on every platform.
 * The primary accepts each connection and hands it to the next worker, which spreads connections
 * evenly; with SCHED_NONE the kernel wakes whichever worker is idle, which on Linux piles most
 * connections onto one or two workers. OTLP clients keep connections open (HTTP keep-alive,
 * one HTTP/2 connection for gRPC), so the primary's share of the work is per connection, not per
 * request. The flip side: one client with one connection uses one worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import {
  WORKER_METRICS_CONTENT_TYPE,
  aggregateWorkerMetrics,
  errorStack,
  formatDiagnostic,
  type CollectorConfig,
  type Logger,
  type MetricsSnapshot,
  type WorkerIdentity,
  type ShutdownReport,
} from '@sluice/core';
import { SluiceError } from '@sluice/pdata';
import { startHealthServer, type HealthCheckConfig, type HealthServer, type HealthSnapshot } from './components/health-check';
import { startMetricsServer } from './metrics-server';
import { collectorLogger, loadCollectorConfig, startCollector, type RunningCollector, type StartOptions } from './start';
import { mergeHealth } from './worker-health';

const INDEX_ENV = 'SLUICE_WORKER_INDEX';
const COUNT_ENV = 'SLUICE_WORKER_COUNT';
/** How long the primary waits for a worker's metrics or health before answering without it. */
const ASK_TIMEOUT_MS = 5_000;
/** Beyond `shutdown_timeout`, what a draining worker gets to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before dying is restarted after the shortest wait again. */
const STABLE_AFTER_MS = 60_000;

type ToPrimary =
  | { sluice: 'ready'; endpoints: Record<string, string> }
  | { sluice: 'metrics'; id: number; metrics: MetricsSnapshot }
  | { sluice: 'health'; id: number; health: HealthSnapshot }
  /** Sent before a worker exits after a shutdown: what its drain lost, for the primary's report. */
  | { sluice: 'stopped'; report: ShutdownReport };
type ToWorker = { sluice: 'metrics' | 'health'; id: number } | { sluice: 'shutdown' };

/** The primary as the CLI sees it: what to print in the banner, and how to stop. */
export type RunningWorkers = Pick<RunningCollector, 'endpoints' | 'config' | 'shutdown'>;

/** This process's place among the workers, when it is one (forked by startWorkers). */
export function workerIdentity(): WorkerIdentity | undefined {
  if (!cluster.isWorker) return undefined;
  return { index: Number(process.env[INDEX_ENV]), count: Number(process.env[COUNT_ENV]) };
}

/** `--workers` (which wins) or `service.workers`: a positive integer, or `auto` for one per core. */
export function workerCount(flag: string | undefined, options: StartOptions): number {
  const value = flag ?? loadCollectorConfig(options).config.service.workers;
  if (value === 'auto') return availableParallelism();
  const count = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(count >= 1 && count <= 256)) {
    throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `--workers ${value}: give a number of processes from 1 to 256, or auto`);
  }
  return count;
}

/**
 * Runs a worker: starts its pipeline, tells the primary where it listens, answers the primary's
 * questions, and drains on the primary's request, on SIGTERM/SIGINT (a Ctrl-C reaches every
 * process of the group) or when the primary is gone. Resolves to the exit code.
 */
export async function runWorker(options: StartOptions): Promise<number> {
  const worker = workerIdentity()!;
  let stopRequested = false;
  let stop = () => void (stopRequested = true);
  const onStop = () => stop();
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('disconnect', onStop);

  let collector: RunningCollector | undefined;
  process.on('message', (message: ToWorker) => {
    if (message.sluice === 'shutdown') return stop();
    if (message.sluice === 'metrics') {
      void collector?.telemetry.snapshot().then((metrics) => send({ sluice: 'metrics', id: message.id, metrics }));
    } else if (collector) {
      send({ sluice: 'health', id: message.id, health: collector.health() });
    }
  });
  try {
    collector = await startCollector({ ...options, worker });
  } catch (err) {
    process.stderr.write(`sluice: worker ${worker.index}: ${err instanceof SluiceError ? err.message : errorStack(err)}\n`);
    return 1;
  }
  const running = collector;
  send({ sluice: 'ready', endpoints: collector.endpoints });
  return new Promise<number>((resolve) => {
    stop = () =>
      void running.shutdown().then(
        (report) => {
          send({ sluice: 'stopped', report });
          resolve(0);
        },
        (err: unknown) => {
          process.stderr.write(`sluice: worker ${worker.index}: the shutdown failed: ${errorStack(err)}\n`);
          resolve(1);
        },
      );
    if (stopRequested) stop();
  });
}

function send(message: ToPrimary): void {
  if (process.connected) process.send!(message);
}

/**
 * Forks `count` workers and resolves once every one listens (their bound addresses, port 0
 * included, are the same: the primary holds the sockets). Rejects, with the workers stopped, when
 * the config does not validate or a worker fails to start.
 */
export async function startWorkers(options: StartOptions, count: number): Promise<RunningWorkers> {
  const { config, diagnostics } = loadCollectorConfig(options);
  const logger = options.logger ?? collectorLogger(config);
  for (const warning of diagnostics) logger.warn(formatDiagnostic(warning));
  const pool = new WorkerPool(config, count, logger);
  const endpoints: Record<string, string> = {};
  const servers: HealthServer[] = [];
  try {
    Object.assign(endpoints, await pool.start());
    const metrics = config.service.telemetry.metrics;
    if (metrics) {
      const source = {
        contentType: WORKER_METRICS_CONTENT_TYPE,
        scrape: async () => aggregateWorkerMetrics(await pool.ask<MetricsSnapshot>('metrics')),
      };
      const server = await startMetricsServer(source, metrics.host, metrics.port);
      servers.push(server);
      endpoints.metrics = server.address;
    }
    for (const id of config.service.extensions) {
      const extension = config.extensions.get(id)!;
      if (extension.factory.type !== 'health_check') continue;
      const snapshot = async () => mergeHealth([...(await pool.ask<HealthSnapshot>('health')).values()], count);
      const server = await startHealthServer(extension.config as HealthCheckConfig, id, snapshot);
      servers.push(server);
      endpoints[id] = server.address;
    }
  } catch (err) {
    await Promise.all([pool.stop().catch(() => undefined), ...servers.map((server) => server.close())]);
    throw err;
  }
  let stopping: Promise<ShutdownReport> | undefined;
  return {
    endpoints,
    config,
    shutdown() {
      stopping ??= pool.stop().finally(() => Promise.all(servers.map((server) => server.close())));
      return stopping;
    },
  };
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: boolean;
  startedAt: number;
  failures: number;
  restartTimer?: NodeJS.Timeout;
  exitCode?: number;
  /** What its last drain lost, as the worker reported it. */
  report?: ShutdownReport;
}

/** The forked workers: one slot per index, refilled when a worker dies, emptied on stop. */
class WorkerPool {
  private readonly slots: Slot[];
  private running = false;
  private stopping = false;
  private nextAsk = 0;
  private readonly answers = new Map<number, (worker: number, value: unknown) => void>();

  constructor(
    private readonly config: CollectorConfig,
    private readonly count: number,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({ index, worker: undefined, ready: false, startedAt: 0, failures: 0 }));
  }

  /** Forks every worker; resolves with the first one's endpoints once all are ready. */
  async start(): Promise<Record<string, string>> {
    cluster.schedulingPolicy = cluster.SCHED_RR;
    // 'advanced' (structured clone) carries the Maps and Dates of a health snapshot as they are.
    cluster.setupPrimary({ serialization: 'advanced' });
    // A second signal exits the primary at once (cli.ts); the workers must not outlive it.
    process.on('exit', () => {
      for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
    });
    const ready = this.slots.map(
      (slot) =>
        new Promise<Record<string, string>>((resolve, reject) => {
          const worker = this.fork(slot);
          worker.on('message', (message: ToPrimary) => message.sluice === 'ready' && resolve(message.endpoints));
          worker.on('exit', (code, signal) =>
            reject(
              new SluiceError('SLUICE_WORKER_FAILED', `worker ${slot.index} exited (${signal ?? `code ${code}`}) before it was ready`),
            ),
          );
        }),
    );
    const endpoints = await Promise.all(ready);
    this.running = true;
    return endpoints[0]!;
  }

  /** Asks every ready worker (`metrics` or `health`), answers by worker index; one that does not answer in time is left out. */
  async ask<T>(what: 'metrics' | 'health'): Promise<Map<number, T>> {
    const id = this.nextAsk++;
    const asked = this.slots.filter((slot) => slot.ready && slot.worker?.isConnected());
    const answers = new Map<number, T>();
    await new Promise<void>((resolve) => {
      let pending = asked.length;
      const timer = setTimeout(resolve, ASK_TIMEOUT_MS);
      const done = () => {
        if (--pending > 0) return;
        clearTimeout(timer);
        resolve();
      };
      this.answers.set(id, (worker, value) => {
        answers.set(worker, value as T);
        done();
      });
      if (pending === 0) return done();
      for (const slot of asked) slot.worker!.send({ sluice: what, id } satisfies ToWorker);
    });
    this.answers.delete(id);
    return answers;
  }

  /** Drains every worker (each within shutdown_timeout); rejects when one did not exit with 0. */
  /** Drains every worker; the report sums what their drains lost. */
  async stop(): Promise<ShutdownReport> {
    this.stopping = true;
    const deadline = this.config.service.shutdownTimeoutMs + EXIT_GRACE_MS;
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (!worker) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        if (worker.isConnected()) worker.send({ sluice: 'shutdown' } satisfies ToWorker);
        else worker.process.kill('SIGTERM');
        const timer = setTimeout(() => {
          this.logger.error('a worker did not exit within shutdown_timeout; killing it', { worker: slot.index });
          worker.process.kill('SIGKILL');
        }, deadline);
        await exited;
        clearTimeout(timer);
      }),
    );
    const failed = this.slots.filter((slot) => slot.exitCode !== 0);
    if (failed.length > 0) {
      const which = failed.map((slot) => `worker ${slot.index} (${slot.exitCode === undefined ? 'killed' : `exit code ${slot.exitCode}`})`);
      throw new SluiceError('SLUICE_WORKER_FAILED', `${which.join(', ')} did not stop cleanly`);
    }
    return {
      lostRecords: this.slots.reduce((n, slot) => n + (slot.report?.lostRecords ?? 0), 0),
      late: this.slots.flatMap((slot) => (slot.report?.late ?? []).map((id) => `${id} (worker ${slot.index})`)),
    };
  }

  private fork(slot: Slot): Worker {
    const worker = cluster.fork({ [INDEX_ENV]: String(slot.index), [COUNT_ENV]: String(this.count) });
    slot.worker = worker;
    slot.ready = false;
    slot.startedAt = Date.now();
    worker.on('message', (message: ToPrimary) => {
      if (message.sluice === 'ready') {
        if (slot.failures > 0) this.logger.info('worker restarted', { worker: slot.index, pid: worker.process.pid });
        slot.ready = true;
      } else if (message.sluice === 'stopped') {
        slot.report = message.report;
      } else {
        this.answers.get(message.id)?.(slot.index, message.sluice === 'metrics' ? message.metrics : message.health);
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      slot.ready = false;
      slot.exitCode = signal === null ? (code ?? undefined) : undefined;
      // Until every worker was first ready, start() reports a failure instead.
      if (this.running && !this.stopping) this.restart(slot, code, signal);
    });
    return worker;
  }

  private restart(slot: Slot, code: number | null, signal: string | null): void {
    if (Date.now() - slot.startedAt >= STABLE_AFTER_MS) slot.failures = 0;
    const wait = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** slot.failures);
    slot.failures++;
    this.logger.error('a worker exited unexpectedly; restarting it', {
      worker: slot.index,
      ...(signal ? { signal } : { exit_code: code }),
      restart_in_ms: wait,
    });
    slot.restartTimer = setTimeout(() => this.fork(slot), wait);
  }
}
