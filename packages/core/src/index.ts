// The public surface of @sluice/core, listed explicitly.

// data model
export type {
  AnyValue,
  KeyValue,
  KeyValueList,
  Resource,
  InstrumentationScope,
  LogRecord,
  ScopeLogs,
  ResourceLogs,
  LogsData,
  ClientContext,
} from './model';
export {
  SeverityNumber,
  countLogRecords,
  emptyResource,
  emptyScope,
  newLogRecord,
  isKeyValueList,
  getAttribute,
  setAttribute,
  deleteAttribute,
  anyValueToJson,
  keyValuesToJson,
  anyValueToString,
} from './model';

// errors
export { ErrorCodes, SluiceError, ConsumeError, retryableError, permanentError, asConsumeError } from './errors';
export type { ErrorCode } from './errors';

// components
export type {
  ComponentKind,
  ComponentId,
  Component,
  LogsConsumer,
  Receiver,
  Processor,
  Exporter,
  ExporterHealth,
  Extension,
  Host,
  CreateSettings,
  ReceiverFactory,
  ProcessorFactory,
  ExporterFactory,
  ExtensionFactory,
  Factory,
} from './component';
export { parseComponentId } from './component';
export { Registry } from './registry';
export { createLogger, createMemoryLogger } from './logger';
export type { Logger, LogLevel, LogFields, StreamLoggerOptions } from './logger';

// extension contracts
export type {
  IncomingHeaders,
  AuthResult,
  ServerAuthenticator,
  ClientAuthenticator,
  StorageExtension,
} from './extensions/contracts';
export { isServerAuthenticator, isClientAuthenticator, isStorageExtension } from './extensions/contracts';

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

// self-telemetry
export { Telemetry } from './telemetry/telemetry';
export { receiverMetrics, exporterMetrics } from './telemetry/metrics';

// config loading and validation (config/)

// pipelines and service lifecycle (pipeline/)

// exporter helper: queue, retry, persistence (exporterhelper/)
