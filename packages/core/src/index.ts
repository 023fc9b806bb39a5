// The public surface of @sluice/core, listed explicitly.

// components
export type {
  ComponentKind,
  ComponentId,
  Signal,
  MetricsConsumer,
  MetricsExporter,
  MetricsExporterFactory,
  Connector,
  ConnectorFactory,
  Component,
  LogsConsumer,
  Receiver,
  Processor,
  Exporter,
  ExporterHealth,
  Extension,
  Host,
  CreateSettings,
  WorkerIdentity,
  ReceiverFactory,
  ProcessorFactory,
  ProcessorCapabilities,
  ExporterFactory,
  ExtensionFactory,
  Factory,
  StartProblem,
  ExtensionRole,
} from './component';
export { parseComponentId, exporterSignal } from './component';

// the metrics signal connectors derive from logs (metrics/)
export type { MetricAttributes, NumberPoint, HistogramPoint, MetricData, Metric, ResourceMetrics, MetricsData } from './metrics/model';
export { Registry } from './registry';
export { createLogger, createMemoryLogger, errorStack } from './logger';
export type { Logger, LogLevel, LogFields, StreamLoggerOptions } from './logger';

// extension contracts
export type {
  IncomingHeaders,
  AuthResult,
  ServerAuthenticator,
  ClientAuthenticator,
  StorageExtension,
  PipelineWatcher,
} from './extensions/contracts';
export { isServerAuthenticator, isClientAuthenticator, isStorageExtension, isPipelineWatcher } from './extensions/contracts';
export { findServerAuthenticator } from './extensions/server-authenticator';
export { bearerTokenAuthExtensionFactory } from './extensions/bearer-token-auth';
export { ClientAuthHeaders } from './extensions/client-auth-headers';

// config building blocks
export {
  section,
  duration,
  parseDuration,
  requiredString,
  endpoint,
  parseHostPort,
  authSchema,
  tlsServerSchema,
  tlsClientSchema,
} from './config/schema';
export type { AuthConfig, TlsServerConfig, TlsClientConfig } from './config/schema';

// TLS: a client and a server form (tls/) of pdata's one TLS file reader
export { loadClientTls } from './tls/client-tls';
export { loadServerTls, sameTlsFiles, secureContextOptions } from './tls/server-tls';
export type { ServerTlsMaterial } from './tls/server-tls';

// endpoints as they may be logged: without credentials or query
export { safeEndpoint } from './safe-endpoint';

// self-telemetry
export { Telemetry } from './telemetry/telemetry';
export { aggregateWorkerMetrics, WORKER_METRICS_CONTENT_TYPE, type MetricsSnapshot } from './telemetry/worker-metrics';
export { receiverMetrics, exporterMetrics } from './telemetry/metrics';

// config loading and validation (config/)
export { loadConfigFiles, loadConfigText } from './config/load';
export type { LoadOptions } from './config/load';
export { formatDiagnostic } from './config/diagnostics';
export type { ConfigDiagnostic } from './config/diagnostics';
export type { ComponentConfig, PipelineConfig, MetricsTelemetryConfig, ServiceConfig, CollectorConfig, LoadResult } from './config/types';

// pipelines and service lifecycle (pipeline/)
export { Service } from './pipeline/service';
export type { ServiceGraphConfig, ServiceComponentConfig, ServiceStatus, ShutdownReport } from './pipeline/service';
export { ExporterFanout, PipelineFanout, settleAll } from './pipeline/fanout';
export type { FanoutTarget, FanoutPipeline } from './pipeline/fanout';
export { MetricsFanout } from './pipeline/metrics-fanout';
export { consumeOrReject } from './pipeline/consume-or-reject';

// exporter helper: queue, retry, persistence (exporterhelper/)
export { DEFAULT_QUEUE_BYTES, exporterHelperShape, exporterHelperUnsupportedKeys } from './exporterhelper/config';
export type { BatchConfig, ExporterHelperConfig, RetryConfig, SendingQueueConfig } from './exporterhelper/config';
export type { SendOutcome } from './exporterhelper/send-outcome';
export { joinFragments, modelQueueForm, otlpProtoQueueForm } from './exporterhelper/queue-form';
export type { QueueForm } from './exporterhelper/queue-form';
export { ByteArena } from './exporterhelper/byte-arena';
export type { Clock } from './exporterhelper/clock';
export { systemClock } from './exporterhelper/clock';
export { HttpPushClient } from './exporterhelper/http-push-client';
export type { HttpPost, HttpEndpointOptions, HttpPushClientOptions } from './exporterhelper/http-push-client';
export { createQueuedExporter, DEFAULT_DRAIN_MS } from './exporterhelper/queued-exporter';
export type { QueuedExporter, QueuedExporterOptions } from './exporterhelper/queued-exporter';
export { fileStorageExtensionFactory } from './extensions/file-storage';
export type { FileStorageConfig } from './extensions/file-storage';
