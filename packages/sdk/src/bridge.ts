import type { Logger } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { LogBridgeOptions } from './options';
import { resolveBatch, resolveConnection } from './config';
import { buildResource } from './resource';
import { createOtlpExporter } from './exporter';
import { BridgeCounters, type BridgeStats } from './stats';
import { stderrWarner } from './warnings';
import { FallbackFile } from './fallback-file';
import { DeliveryExporter } from './delivery-exporter';
import { BackoffExporter } from './backoff-exporter';
import { BoundedProcessor } from './bounded-processor';
import { installExitHooks, settleWithin } from './exit-hooks';
import { PinoOtelStream, type PinoStreamOptions } from './adapters/pino-stream';
import { traceContextMixin, type TraceFields } from './adapters/pino-mixin';
import { WinstonOtelTransport, type WinstonTransportOptions } from './adapters/winston-transport';
import { patchConsole } from './adapters/console';
import type { AdapterSink } from './adapters/sink';

export interface LogBridge {
  /** A pino destination: `pino(options, bridge.pinoStream())`. */
  pinoStream(options?: PinoStreamOptions): PinoOtelStream;
  /** A pino `mixin` carrying the active span's ids to the worker-thread transport. */
  pinoMixin(): () => TraceFields;
  /** A winston transport: `winston.createLogger({ transports: [bridge.winstonTransport()] })`. */
  winstonTransport(options?: WinstonTransportOptions): WinstonOtelTransport;
  /** Sends console.log/info/warn/error/debug/trace too (they still print). Returns the restore function. */
  patchConsole(): () => void;
  /** The OTel Logs API logger, for code that logs through OpenTelemetry directly. */
  logger(name?: string, version?: string): Logger;
  stats(): BridgeStats;
  /** Exports everything queued now. */
  forceFlush(): Promise<void>;
  /** Flushes (bounded by shutdownTimeoutMs) and stops; idempotent. Call it before `process.exit()`. */
  shutdown(): Promise<void>;
}

const SCOPE_VERSION = '0.1.0';
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;

/** Starts shipping logs to the collector. Throws a SluiceError (SLUICE_SDK_* or SLUICE_CONFIG_*) for options it cannot honour. */
export function startLogBridge(options: LogBridgeOptions = {}): LogBridge {
  const batch = resolveBatch(options);
  return createLogBridge(options, createOtlpExporter(resolveConnection(options), batch.exportTimeoutMillis));
}

/** The bridge around any exporter; `startLogBridge` gives it the OTLP one (tests give theirs). */
export function createLogBridge(options: LogBridgeOptions, exporter: LogRecordExporter, warner = stderrWarner()): LogBridge {
  const batch = resolveBatch(options);
  const counters = new BridgeCounters();
  const fallback = options.fallbackFile
    ? new FallbackFile(options.fallbackFile, (error) =>
        warner.warn('fallback', `cannot write the fallback file ${options.fallbackFile}: ${error.message}`),
      )
    : undefined;
  const backoff = new BackoffExporter(exporter);
  const batchProcessor = new BatchLogRecordProcessor({
    exporter: new DeliveryExporter(backoff, counters, warner, fallback),
    maxQueueSize: batch.maxQueueSize,
    maxExportBatchSize: batch.maxExportBatchSize,
    scheduledDelayMillis: batch.scheduledDelayMillis,
    // Our exporter may hold a batch for a backoff, then gives up after its own timeout; a little
    // slack on top lets it report why.
    exportTimeoutMillis: backoff.longestHoldMs + batch.exportTimeoutMillis + 1_000,
  });
  const bounded = new BoundedProcessor(batchProcessor, batch.maxQueueSize, counters, warner);
  const provider = new LoggerProvider({ resource: buildResource(options), processors: [bounded] });
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const onError = (error: unknown): void =>
    warner.warn('adapter', `a log line could not be converted: ${error instanceof Error ? error.message : String(error)}`);
  const sink = (scope: string): AdapterSink => ({
    logger: provider.getLogger(scope, SCOPE_VERSION),
    admit: bounded.admit,
    flush: () => settleWithin(provider.forceFlush(), shutdownTimeoutMs),
    onError,
  });
  const restoreFunctions = new Set<() => void>();
  const removeExitHooks = installExitHooks(
    { flush: () => provider.forceFlush(), acceptedCount: () => counters.accepted },
    shutdownTimeoutMs,
    options.handleSignals === true,
  );
  let shutdownPromise: Promise<void> | undefined;

  return {
    pinoStream: (streamOptions) => new PinoOtelStream(sink('pino'), streamOptions),
    pinoMixin: () => traceContextMixin,
    winstonTransport: (transportOptions) => new WinstonOtelTransport(sink('winston'), transportOptions),
    patchConsole() {
      const restore = patchConsole(sink('console'));
      restoreFunctions.add(restore);
      return () => {
        restoreFunctions.delete(restore);
        restore();
      };
    },
    logger: (name = '@sluice/sdk', version) => provider.getLogger(name, version),
    stats: () => counters.snapshot(),
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      shutdownPromise ??= (async () => {
        removeExitHooks();
        for (const restore of restoreFunctions) restore();
        await settleWithin(provider.shutdown(), shutdownTimeoutMs);
      })();
      return shutdownPromise;
    },
  };
}
