/**
 * The `loadbalancing` exporter: splits each request by routing key and hands every part to the
 * backend that owns the key on a consistent-hash ring. Each backend is a full `otlp` exporter
 * (its own sending queue and retries); the resolver adds and removes backends as it learns of them.
 *
 * Nothing accepted is dropped for a backend going away:
 * - a backend whose send fails with a retryable error (connection refused, unavailable) leaves
 *   the rotation for EJECT_MS; the failed batch and everything it has queued go to the backends
 *   that own its keys meanwhile (consistent hashing: only its share moves), then it is tried again.
 *   Only to backends not known to be failing: when every backend fails, each retries what it
 *   holds (and counts it failed past max_elapsed_time) rather than passing it back and forth;
 * - a backend the resolver no longer lists is shut down, its memory queue draining the same way
 *   into the others. A persistent queue (`sending_queue.storage`) instead keeps its data on disk
 *   under that backend's endpoint, sent if the backend comes back: the exporter helper does not
 *   hand a persistent queue's entries out on shutdown.
 * A request split across backends is accepted only when every part is; if one part is refused the
 * client retries the whole request, so the parts that were accepted arrive twice.
 */
import { settleAll, type CreateSettings, type Exporter, type ExporterHealth, type Host, type SendOutcome } from '@sluice/core';
import { asConsumeError, countLogRecords, retryableError, type ClientContext, type LogsData } from '@sluice/pdata';
import type { OtlpGrpcExporterConfig } from '../config';
import { createOtlpGrpcExporter, otlpBatchArena } from '../factory';
import type { LoadBalancingExporterConfig } from './config';
import { HashRing } from './hash-ring';
import type { Resolver } from './resolver';
import { splitByKey } from './split-by-key';

/** How long a failing backend stays out of the rotation before it is tried again. */
export const EJECT_MS = 5000;

interface Backend {
  readonly endpoint: string;
  readonly exporter: Exporter;
  /** Out of the rotation until then (ms since the epoch); 0 when in it. */
  ejectedUntil: number;
  /** Its last send failed as if it were down; a failing backend takes no other backend's batches. */
  failing: boolean;
}

const NO_CONTEXT: ClientContext = {};

export class LoadBalancingExporter implements Exporter {
  private ring = new HashRing<Backend>([]);
  private readonly backends = new Map<string, Backend>();
  /** One for every backend: each would otherwise keep its own chunks (8 MiB and more) for good. */
  private readonly arena = otlpBatchArena();
  private lostByRetired = 0;
  /** Backends the resolver dropped, draining their queues into the others. */
  private readonly retiring = new Set<Promise<void>>();
  private host: Host | undefined;
  /** Resolver changes are applied one after another, in order. */
  private updates: Promise<void> = Promise.resolve();
  private startError: Error | undefined;
  private stopped = false;
  private readonly rerouted;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: LoadBalancingExporterConfig,
    private readonly resolver: Resolver,
  ) {
    this.rerouted = settings.telemetry.counter(
      'sluice_loadbalancer_rerouted_log_records_total',
      'Log records a load-balanced backend could not take (failing or removed), handed to the backends owning their keys.',
      ['exporter'],
    );
    this.rerouted.inc({ exporter: settings.id }, 0);
  }

  /** The backends now in the ring, by endpoint (for tests and the log). */
  endpoints(): string[] {
    return this.ring.members.map((backend) => backend.endpoint);
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    await this.resolver.start((endpoints) => {
      this.updates = this.updates
        .then(() => this.apply(endpoints))
        .catch((err) => {
          this.startError ??= asError(err);
          this.settings.logger.error('cannot apply the resolved load balancer backends', { error: err });
        });
    });
    await this.updates;
    if (this.startError !== undefined) throw this.startError;
  }

  async consume(logs: LogsData, context: ClientContext): Promise<void> {
    const now = Date.now();
    const usable = (backend: Backend) => backend.ejectedUntil <= now;
    const parts = splitByKey(logs, this.config.routing_key, (key) => this.ring.lookup(key, usable) ?? this.ring.lookup(key));
    await this.hand(parts, context);
  }

  private async hand(parts: Map<Backend, LogsData> | undefined, context: ClientContext): Promise<void> {
    if (parts === undefined) {
      throw retryableError('SLUICE_EXPORT_REFUSED', `exporter ${this.settings.id} has no backend to send to (the resolver found none yet)`);
    }
    if (parts.size === 1) {
      const [backend, part] = parts.entries().next().value!;
      return backend.exporter.consume(part, context);
    }
    // Every part settles before the sender hears the refusal that matters most (retryable first).
    await settleAll([...parts].map(([backend, part]) => backend.exporter.consume(part, context)));
  }

  health(): ExporterHealth {
    const all = [...this.backends.values()].flatMap((backend) => backend.exporter.health?.() ?? []);
    const sum = (field: 'entries_sent' | 'entries_failed' | 'entries_dropped' | 'entries_refused' | 'batches_sent' | 'queue_length') =>
      all.reduce((total, health) => total + health[field], 0);
    const latest = all.reduce<ExporterHealth | undefined>(
      (last, health) => ((health.last_error_time ?? '') > (last?.last_error_time ?? '') ? health : last),
      undefined,
    );
    const failing = all.filter((health) => health.status === 'failing').length;
    return {
      status: this.stopped
        ? 'stopped'
        : all.length === 0 || failing === all.length
          ? 'failing'
          : all.every((health) => health.status === 'ok')
            ? 'ok'
            : 'degraded',
      entries_sent: sum('entries_sent'),
      entries_failed: sum('entries_failed'),
      entries_dropped: sum('entries_dropped'),
      entries_refused: sum('entries_refused'),
      batches_sent: sum('batches_sent'),
      queue_length: sum('queue_length'),
      last_error: latest?.last_error ?? null,
      last_error_time: latest?.last_error_time ?? null,
    };
  }

  /** What the backends (and those removed meanwhile) lost at shutdown: the collector's shutdown report counts it. */
  lostAtShutdown(): number {
    let lost = this.lostByRetired;
    for (const backend of this.backends.values()) lost += backend.exporter.lostAtShutdown?.() ?? 0;
    return lost;
  }

  async shutdown(signal?: AbortSignal): Promise<void> {
    await this.resolver.shutdown();
    await this.updates;
    await Promise.all([...this.backends.values()].map((backend) => backend.exporter.shutdown(signal)));
    await Promise.all(this.retiring);
    this.stopped = true;
  }

  /** Starts the new backends, then swaps the ring, then retires the backends no longer listed. */
  private async apply(endpoints: readonly string[]): Promise<void> {
    if (this.stopped) return;
    const listed = new Set(endpoints);
    const added = endpoints.filter((endpoint) => !this.backends.has(endpoint)).map((endpoint) => this.createBackend(endpoint));
    const started = await Promise.allSettled(added.map((backend) => backend.exporter.start(this.host!)));
    started.forEach((result, i) => {
      if (result.status === 'fulfilled') this.backends.set(added[i]!.endpoint, added[i]!);
      else {
        this.startError ??= asError(result.reason);
        this.settings.logger.error('a load balancer backend did not start', { endpoint: added[i]!.endpoint, error: result.reason });
      }
    });
    const removed = [...this.backends.values()].filter((backend) => !listed.has(backend.endpoint));
    for (const backend of removed) this.backends.delete(backend.endpoint);
    this.ring = new HashRing([...this.backends.values()]);
    this.settings.logger.info('load balancer backends', {
      backends: this.endpoints(),
      added: added.map((backend) => backend.endpoint),
      removed: removed.map((backend) => backend.endpoint),
    });
    for (const backend of removed) {
      const retired = backend.exporter
        .shutdown()
        .catch((err) =>
          this.settings.logger.error('a removed load balancer backend did not shut down cleanly', {
            endpoint: backend.endpoint,
            error: err,
          }),
        )
        .finally(() => {
          this.lostByRetired += backend.exporter.lostAtShutdown?.() ?? 0;
          this.retiring.delete(retired);
        });
      this.retiring.add(retired);
    }
  }

  private createBackend(endpoint: string): Backend {
    const settings: CreateSettings = {
      ...this.settings,
      id: `${this.settings.id}/${endpoint}`,
      logger: this.settings.logger.child({ backend: endpoint }),
    };
    const config: OtlpGrpcExporterConfig = { ...this.config.protocol.otlp, endpoint };
    const backend: Backend = {
      endpoint,
      ejectedUntil: 0,
      failing: false,
      exporter: createOtlpGrpcExporter(settings, config, (batch, send) => this.attempt(backend, batch, send), this.arena),
    };
    return backend;
  }

  /**
   * One send attempt of a backend's batch: to the backend while it is in the ring and in the
   * rotation (or nobody else is), else to the backends owning the batch's keys meanwhile.
   */
  private async attempt(backend: Backend, batch: () => LogsData, send: () => Promise<SendOutcome>): Promise<SendOutcome> {
    const inRing = this.backends.get(backend.endpoint) === backend;
    if (inRing && (backend.ejectedUntil <= Date.now() || !this.othersInRotation(backend))) {
      const outcome = await send();
      // A server asking to be retried later (RetryInfo) is alive: its keys stay with it.
      backend.failing = !outcome.ok && outcome.retryable && outcome.retryAfterMs === undefined;
      if (outcome.ok || !backend.failing) return outcome;
      if (!this.othersInRotation(backend)) return outcome;
      if (backend.ejectedUntil <= Date.now()) {
        this.settings.logger.warn('a load balancer backend is failing: its share goes to the other backends for a while', {
          endpoint: backend.endpoint,
          seconds: EJECT_MS / 1000,
          reason: outcome.reason,
        });
      }
      backend.ejectedUntil = Date.now() + EJECT_MS;
    }
    return this.reroute(backend, batch());
  }

  private othersInRotation(backend: Backend): boolean {
    const now = Date.now();
    return this.ring.members.some((other) => other !== backend && takesReroutes(other, now));
  }

  /** Hands a backend's batch to the others, by key; a refusal is this attempt's retryable failure. */
  private async reroute(from: Backend, logs: LogsData): Promise<SendOutcome> {
    const now = Date.now();
    const other = (backend: Backend) => backend !== from;
    const parts = splitByKey(
      logs,
      this.config.routing_key,
      (key) => this.ring.lookup(key, (backend) => other(backend) && takesReroutes(backend, now)) ?? this.ring.lookup(key, other),
    );
    try {
      await this.hand(parts, NO_CONTEXT);
    } catch (err) {
      const error = asConsumeError(err);
      return {
        ok: false,
        retryable: error.retryable,
        reason: `re-routing from ${from.endpoint}: ${error.message}`,
        retryAfterMs: error.retryAfterMs,
      };
    }
    this.rerouted.inc({ exporter: this.settings.id }, countLogRecords(logs));
    return { ok: true };
  }
}

/** In the rotation and not failing: another backend's batch may be handed to it. */
function takesReroutes(backend: Backend, now: number): boolean {
  return backend.ejectedUntil <= now && !backend.failing;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
