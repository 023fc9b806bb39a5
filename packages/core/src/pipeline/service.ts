import type {
  Component,
  ComponentKind,
  Connector,
  CreateSettings,
  Exporter,
  ExporterHealth,
  Extension,
  Factory,
  Host,
  LogsConsumer,
  MetricsConsumer,
  MetricsExporter,
  Processor,
  Signal,
  WorkerIdentity,
} from '../component';
import { isPipelineWatcher } from '../extensions/contracts';
import type { Logger } from '../logger';
import type { Telemetry } from '../telemetry/telemetry';
import { ExporterFanout, PipelineFanout, type FanoutPipeline } from './fanout';
import { MetricsFanout } from './metrics-fanout';

/** The parts of a validated collector config the service needs (the config loader's CollectorConfig fits). */
export interface ServiceComponentConfig {
  id: string;
  factory: Factory;
  config: unknown;
  optional?: boolean;
}

export interface ServiceGraphConfig {
  receivers: ReadonlyMap<string, ServiceComponentConfig>;
  processors: ReadonlyMap<string, ServiceComponentConfig>;
  exporters: ReadonlyMap<string, ServiceComponentConfig>;
  /** Absent in configs without connectors. */
  connectors?: ReadonlyMap<string, ServiceComponentConfig>;
  extensions: ReadonlyMap<string, ServiceComponentConfig>;
  service: {
    extensions: readonly string[];
    pipelines: ReadonlyArray<{
      id: string;
      /** `logs` when absent. */
      signal?: Signal;
      receivers: readonly string[];
      processors: readonly string[];
      exporters: readonly string[];
    }>;
    shutdownTimeoutMs: number;
  };
}

export type ServiceStatus = 'created' | 'starting' | 'ready' | 'stopping' | 'stopped';

/** Whether `service.shutdown_timeout` was enough: nothing lost, everything stopped. */
export interface ShutdownReport {
  /** Records exporters had accepted and lost at the deadline (memory queues; a persistent queue keeps its rest). */
  lostRecords: number;
  /** Components still stopping ABORT_GRACE_MS after the deadline (what they hold is not counted above). */
  late: string[];
}

/**
 * How long past the deadline a component gets to end the work the deadline aborted (sends in
 * flight) and count what it lost, so the report has the count before the process exits.
 */
const ABORT_GRACE_MS = 1000;

interface Started {
  kind: ComponentKind;
  id: string;
  component: Component;
}

/**
 * Builds the pipeline graph from a validated config and runs its lifecycle: start extensions →
 * exporters → connectors → processors → receivers; shut down in reverse within
 * `service.shutdown_timeout`. One exporter, connector or receiver instance per id, shared by every
 * pipeline that names it; one processor instance per pipeline, as in otelcol.
 */
export class Service {
  private status: ServiceStatus = 'created';
  private readonly endpoints = new Map<string, string>();
  private readonly extensions = new Map<string, Extension>();
  private readonly exporters = new Map<string, Exporter>();
  private readonly started: Started[] = [];
  private readonly graph: Started[] = [];
  private shutdownPromise: Promise<ShutdownReport> | undefined;

  constructor(
    private readonly config: ServiceGraphConfig,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    private readonly worker?: WorkerIdentity,
  ) {}

  get state(): ServiceStatus {
    return this.status;
  }

  /** Addresses bound by listening components, e.g. `otlp/grpc` → `127.0.0.1:4317`. */
  listening(): ReadonlyMap<string, string> {
    return this.endpoints;
  }

  /** Each running exporter's health (undefined: it reports none), for a health endpoint served by another process (`service.workers`). */
  exporterHealth(): Map<string, ExporterHealth | undefined> {
    return new Map([...this.exporters].map(([id, exporter]) => [id, exporter.health?.()]));
  }

  /** Builds and starts everything; on a failure, stops what had started and rethrows. */
  async start(): Promise<void> {
    if (this.status !== 'created') throw new Error('a service starts once');
    this.status = 'starting';
    try {
      this.build();
      const host = this.host();
      for (const entry of this.graph) {
        await entry.component.start(host);
        this.started.push(entry);
      }
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    this.status = 'ready';
    for (const ext of this.extensions.values()) if (isPipelineWatcher(ext)) ext.ready();
  }

  /** Idempotent. Receivers stop first so no new data arrives; exporters drain last. */
  shutdown(): Promise<ShutdownReport> {
    this.shutdownPromise ??= this.stopAll();
    return this.shutdownPromise;
  }

  private async stopAll(): Promise<ShutdownReport> {
    this.status = 'stopping';
    for (const ext of this.extensions.values()) if (isPipelineWatcher(ext)) ext.notReady();
    // One deadline for the whole shutdown: every component gets it (exporters drain their queues until it).
    const deadline = new AbortController();
    const giveUp = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.service.shutdownTimeoutMs);
    const giveUpTimer = setTimeout(() => giveUp.abort(), this.config.service.shutdownTimeoutMs + ABORT_GRACE_MS);
    const report: ShutdownReport = { lostRecords: 0, late: [] };
    try {
      for (const entry of [...this.started].reverse()) {
        const outcome = await untilAborted(entry.component.shutdown(deadline.signal), giveUp.signal);
        if (outcome === 'timeout') {
          report.late.push(entry.id);
          this.logger.warn('component did not stop within service.shutdown_timeout', { kind: entry.kind, id: entry.id });
        } else if (outcome instanceof Error) {
          this.logger.error('component failed to stop cleanly', { kind: entry.kind, id: entry.id, error: outcome.message });
        }
      }
    } finally {
      clearTimeout(timer);
      clearTimeout(giveUpTimer);
    }
    for (const exporter of this.exporters.values()) report.lostRecords += exporter.lostAtShutdown?.() ?? 0;
    this.status = 'stopped';
    return report;
  }

  private build(): void {
    const { service } = this.config;
    // Extensions first, then exporters, processors, receivers: the order they start in.
    for (const id of service.extensions) {
      const ext = this.create('extension', this.config.extensions.get(id)!);
      this.extensions.set(id, ext);
      this.graph.push({ kind: 'extension', id, component: ext });
    }
    const exporterEntries: Started[] = [];
    const processorEntries: Started[] = [];
    const pipelinesOfReceiver = new Map<string, FanoutPipeline[]>();
    const connectors = this.buildConnectors(exporterEntries);

    for (const pipeline of service.pipelines) {
      if ((pipeline.signal ?? 'logs') !== 'logs') continue;
      let exporterUsesWireBytes = false;
      const targets = pipeline.exporters.map((id) => {
        const connector = connectors.get(id);
        if (connector) return { id, consumer: connector, optional: false };
        let exporter = this.exporters.get(id);
        const entry = this.config.exporters.get(id)!;
        if (!exporter) {
          exporter = this.create('exporter', entry) as Exporter;
          this.exporters.set(id, exporter);
          exporterEntries.push({ kind: 'exporter', id, component: exporter });
        }
        if (exporter.usesWireBytes === true) exporterUsesWireBytes = true;
        return { id, consumer: exporter, optional: entry.optional ?? false };
      });
      let next: LogsConsumer = new ExporterFanout(pipeline.id, targets, this.logger, this.telemetry);
      // Chain processors back to front so each one's `next` is the one after it.
      const chain: Started[] = [];
      for (const id of [...pipeline.processors].reverse()) {
        const processor = this.create('processor', this.config.processors.get(id)!, next, pipeline.id) as Processor;
        chain.unshift({ kind: 'processor', id: `${id} (${pipeline.id})`, component: processor });
        next = processor;
      }
      // Processors start from the exporter side: each is started before anything feeds it.
      processorEntries.push(...[...chain].reverse());
      const capabilities = pipeline.processors.map((id) => {
        const factory = this.config.processors.get(id)!.factory;
        return factory.kind === 'processor' ? factory.capabilities : { mutatesData: false };
      });
      const mutates = capabilities.some((c) => c.mutatesData);
      const usesWireBytes = exporterUsesWireBytes && !mutates && capabilities.every((c) => c.passesRequestsThrough === true);
      for (const receiverId of pipeline.receivers) {
        const list = pipelinesOfReceiver.get(receiverId) ?? [];
        list.push({ id: pipeline.id, consumer: next, mutates, usesWireBytes });
        pipelinesOfReceiver.set(receiverId, list);
      }
    }
    this.graph.push(...exporterEntries, ...processorEntries);
    for (const [id, pipelines] of pipelinesOfReceiver) {
      const receiver = this.create(
        'receiver',
        this.config.receivers.get(id)!,
        new PipelineFanout(pipelines, this.logger.child({ receiver: id })),
      );
      this.graph.push({ kind: 'receiver', id, component: receiver });
    }
  }

  /**
   * The metrics side: each metrics pipeline's exporters, and each connector feeding the metrics
   * pipelines that list it as a receiver. Their entries go after the exporters they feed, so
   * they start after them.
   */
  private buildConnectors(exporterEntries: Started[]): Map<string, Connector> {
    const metricsExporters = new Map<string, MetricsExporter>();
    const pipelinesOfConnector = new Map<string, MetricsConsumer[]>();
    for (const pipeline of this.config.service.pipelines) {
      if (pipeline.signal !== 'metrics') continue;
      const targets = pipeline.exporters.map((id) => {
        let exporter = metricsExporters.get(id);
        if (!exporter) {
          exporter = this.create('exporter', this.config.exporters.get(id)!) as MetricsExporter;
          metricsExporters.set(id, exporter);
          exporterEntries.push({ kind: 'exporter', id, component: exporter });
        }
        return exporter;
      });
      const fanout = new MetricsFanout(targets);
      for (const id of pipeline.receivers) pipelinesOfConnector.set(id, [...(pipelinesOfConnector.get(id) ?? []), fanout]);
    }
    const connectors = new Map<string, Connector>();
    for (const [id, pipelines] of pipelinesOfConnector) {
      const next = pipelines.length === 1 ? pipelines[0]! : new MetricsFanout(pipelines);
      const connector = this.create('connector', this.config.connectors!.get(id)!, next) as Connector;
      connectors.set(id, connector);
      exporterEntries.push({ kind: 'connector', id, component: connector });
    }
    return connectors;
  }

  private create(
    kind: ComponentKind,
    entry: ServiceComponentConfig,
    next?: LogsConsumer | MetricsConsumer,
    pipelineId?: string,
  ): Component {
    const settings: CreateSettings = {
      id: entry.id,
      kind,
      logger: this.logger.child(pipelineId ? { [kind]: entry.id, pipeline: pipelineId } : { [kind]: entry.id }),
      telemetry: this.telemetry,
      onListening: (label, address) => this.endpoints.set(label, address),
      optional: entry.optional,
      worker: this.worker,
    };
    const factory = entry.factory;
    if (factory.kind !== kind) throw new Error(`${entry.id} is a ${factory.kind}, not a ${kind}`);
    switch (factory.kind) {
      case 'receiver':
      case 'processor':
        return factory.create(settings, entry.config, next as LogsConsumer);
      case 'connector':
        return factory.create(settings, entry.config, next as MetricsConsumer);
      case 'exporter':
      case 'extension':
        return factory.create(settings, entry.config);
    }
  }

  private host(): Host {
    return {
      getExtension: (id) => this.extensions.get(id),
      getExporters: () => this.exporters,
    };
  }
}

/** Waits for `promise`, or for `signal` to abort, whichever comes first. */
async function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<'done' | 'timeout' | Error> {
  let onAbort = () => {};
  const aborted = new Promise<'timeout'>((resolve) => {
    onAbort = () => resolve('timeout');
    // Past the deadline already: a component that stops at once still gets the turn to say so.
    if (signal.aborted) setImmediate(onAbort);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then(() => 'done' as const), aborted]);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
