/**
 * Component contracts, as small as otelcol's: a factory per component type, components that
 * start and shut down, and consumers whose `consume` resolves once the data is accepted.
 */
import type { ZodType, ZodTypeDef } from 'zod';
import type { ClientContext, ErrorCode, LogsData } from '@sluice/pdata';
import type { Logger } from './logger';
import type { MetricsData } from './metrics/model';
import type { Telemetry } from './telemetry/telemetry';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'connector' | 'extension';

/** What a pipeline carries: `logs` end to end, or `metrics` that connectors derive from logs. */
export type Signal = 'logs' | 'metrics';

/** `type` or `type/name`, as written in the config. */
export type ComponentId = string;

export interface Component {
  /** Called once, in order exporters → processors → receivers; extensions first of all. */
  start(host: Host): Promise<void>;
  /**
   * Idempotent; called in the reverse order. Must resolve even if start was never called.
   * `signal` aborts when `service.shutdown_timeout` runs out: work that can wait for it (an
   * exporter draining its queue) stops then.
   */
  shutdown(signal?: AbortSignal): Promise<void>;
}

/**
 * Resolves when the data is accepted: queued by an exporter, handed to the OS by a file writer,
 * or passed on by a processor whose next consumer accepted it. Rejects with a ConsumeError that
 * says whether the sender should retry.
 */
export interface LogsConsumer {
  consume(logs: LogsData, context: ClientContext): Promise<void>;
  /**
   * Set on what a receiver feeds: whether something downstream works from the protobuf bytes a
   * request arrived as (`wireBytesOf`), so the receiver should hand protobuf requests on
   * undecoded (`decodeLogsProtoLazily`); otherwise it decodes them at once.
   */
  readonly wantsWireBytes?: boolean;
}

/** The metrics counterpart of LogsConsumer: resolves once the metrics are accepted. */
export interface MetricsConsumer {
  consumeMetrics(metrics: MetricsData): Promise<void>;
}

export type Receiver = Component;
export interface Processor extends Component, LogsConsumer {}
export interface Exporter extends Component, LogsConsumer {
  /** Works from the protobuf bytes a request arrived as, when it still has them (a forwarder, a transcoder). */
  readonly usesWireBytes?: boolean;
  /** Per-exporter health for `/health/<id>`, when the exporter keeps it. */
  health?(): ExporterHealth;
  /** After shutdown: records it had accepted and lost because the deadline came first (a memory queue's rest). */
  lostAtShutdown?(): number;
}
export type Extension = Component;
/** An exporter of a metrics pipeline. */
export interface MetricsExporter extends Component, MetricsConsumer {}
/**
 * An exporter of a logs pipeline and a receiver of metrics pipelines, as otelcol's connectors:
 * it reads the logs it is handed (never changes them) and passes what it derives to `next`.
 */
export interface Connector extends Component, LogsConsumer {}

export interface ExporterHealth {
  status: 'ok' | 'degraded' | 'failing' | 'stopped';
  entries_sent: number;
  entries_failed: number;
  entries_dropped: number;
  /** Refused because the sending queue (or its disk) was full; the sender was told to retry. */
  entries_refused: number;
  batches_sent: number;
  queue_length: number;
  last_error: string | null;
  last_error_time: string | null;
}

/** What a running component can ask of the collector. */
export interface Host {
  /** The started extension with this id, or undefined. */
  getExtension(id: ComponentId): Extension | undefined;
  /** Every started exporter, by id (the health_check extension reads their health). */
  getExporters(): ReadonlyMap<ComponentId, Exporter>;
}

export interface CreateSettings {
  id: ComponentId;
  kind: ComponentKind;
  logger: Logger;
  telemetry: Telemetry;
  /** Components that listen call this with the address they actually bound (port 0 → the real port). */
  onListening?(label: string, address: string): void;
  /** Exporters: Sluice's `optional: true`, so what the exporter refuses never reaches the sender. */
  optional?: boolean;
  /** Set in each pipeline process of `service.workers` > 1: files and directories are then kept per worker. */
  worker?: WorkerIdentity;
}

/** Which of `count` pipeline processes (`service.workers`) this one is; `index` is stable across restarts. */
export interface WorkerIdentity {
  readonly index: number;
  readonly count: number;
}

/** The parsed config of a component, defaults applied. */
interface FactoryBase<K extends ComponentKind, C> {
  kind: K;
  /** The config key, e.g. `otlp`, `jsonl`, `batch`. */
  type: string;
  /** Other names the same component answers to (otelcol's old or new names). */
  aliases?: readonly string[];
  description: string;
  /**
   * Validates a component's config section (after env expansion; null sections arrive as `{}`)
   * and applies defaults. Objects should be `.strict()` so typos are caught and located.
   */
  configSchema: ZodType<C, ZodTypeDef, unknown>;
  /**
   * otelcol keys this component knows but does not implement, as dotted paths relative to the
   * component's section: 'ignore' warns and drops the key; 'error' refuses the config because
   * ignoring the key would change what happens to data.
   */
  unsupportedKeys?: Readonly<Record<string, { effect: 'ignore' | 'error'; why: string }>>;
  /**
   * What `start` would refuse that can be known without binding or connecting (a file it reads,
   * for instance), so validation reports it, located, before anything starts.
   */
  checkStart?(config: C): StartProblem[];
}

/** A reason a component would not start; `path` is relative to the component's section. */
export interface StartProblem {
  path: ReadonlyArray<string | number>;
  code: ErrorCode;
  message: string;
}

/** What an extension offers other components, as the guards in extensions/contracts.ts test it. */
export type ExtensionRole = 'server_authenticator' | 'client_authenticator' | 'storage';

export interface ReceiverFactory<C = unknown> extends FactoryBase<'receiver', C> {
  create(settings: CreateSettings, config: C, next: LogsConsumer): Receiver;
}
/**
 * What a processor does to the data it is handed, as otelcol's consumer.Capabilities: a processor
 * that changes records, their attributes or the structure holding them (filtering, splicing) in
 * place declares `mutatesData`, so a receiver feeding several pipelines gives its pipeline a copy.
 */
export interface ProcessorCapabilities {
  mutatesData: boolean;
  /**
   * Hands on the very requests it is given, unchanged (a memory limiter), so the bytes they
   * arrived as stay usable after it. A processor that merges or rebuilds requests (`batch`) does
   * not: exporters behind it see new data, which they encode from the model.
   */
  passesRequestsThrough?: boolean;
}

export interface ProcessorFactory<C = unknown> extends FactoryBase<'processor', C> {
  capabilities: ProcessorCapabilities;
  create(settings: CreateSettings, config: C, next: LogsConsumer): Processor;
}
export interface ExporterFactory<C = unknown> extends FactoryBase<'exporter', C> {
  signal?: 'logs';
  create(settings: CreateSettings, config: C): Exporter;
}
export interface MetricsExporterFactory<C = unknown> extends FactoryBase<'exporter', C> {
  signal: 'metrics';
  create(settings: CreateSettings, config: C): MetricsExporter;
}
/** Connectors only read logs, so they share a pipeline's data with every other exporter without a copy. */
export interface ConnectorFactory<C = unknown> extends FactoryBase<'connector', C> {
  capabilities: ProcessorCapabilities & { mutatesData: false };
  create(settings: CreateSettings, config: C, next: MetricsConsumer): Connector;
}
export interface ExtensionFactory<C = unknown> extends FactoryBase<'extension', C> {
  /** The roles its extensions play, so a reference to it (`auth.authenticator`, `sending_queue.storage`) is checked before start. */
  provides?: readonly ExtensionRole[];
  create(settings: CreateSettings, config: C): Extension;
}

export type Factory = ReceiverFactory | ProcessorFactory | ExporterFactory | MetricsExporterFactory | ConnectorFactory | ExtensionFactory;

/** The signal an exporter factory consumes (logs unless it says otherwise). */
export function exporterSignal(factory: ExporterFactory | MetricsExporterFactory): Signal {
  return factory.signal ?? 'logs';
}

/** Splits `type/name` into its parts; returns undefined for an id that is not of that form. */
export function parseComponentId(id: string): { type: string; name: string } | undefined {
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? '' : id.slice(slash + 1);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(type)) return undefined;
  if (slash >= 0 && (name === '' || /\s|\//.test(name))) return undefined;
  return { type, name };
}
