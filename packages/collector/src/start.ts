import {
  Service,
  Telemetry,
  createLogger,
  formatDiagnostic,
  loadConfigFiles,
  loadConfigText,
  type CollectorConfig,
  type ConfigDiagnostic,
  type Logger,
  type Registry,
  type ShutdownReport,
  type WorkerIdentity,
} from '@sluice/core';
import { SluiceError, isBindError } from '@sluice/pdata';
import { builtinComponents } from './components';
import type { HealthSnapshot } from './components/health-check';
import { startMetricsServer } from './metrics-server';

export interface StartOptions {
  /** Config files, merged in order (later wins). */
  configFiles?: string[];
  /** A config as YAML text (used when no files are given). */
  configText?: string;
  env?: NodeJS.ProcessEnv;
  /** The collector's own log; by default stderr at `service.telemetry.logs.level`. */
  logger?: Logger;
  registry?: Registry;
  /** Set in a pipeline process of `service.workers` > 1: the primary serves `/metrics` and health for all of them. */
  worker?: WorkerIdentity;
}

export interface RunningCollector {
  /** Bound addresses by label: `otlp/grpc`, `otlp/http`, `health_check`, `metrics`, ... */
  readonly endpoints: Record<string, string>;
  readonly config: CollectorConfig;
  readonly telemetry: Telemetry;
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** What health_check reports about this process (the primary of `service.workers` merges the workers'). */
  health(): HealthSnapshot;
  /** Stops receivers, drains processors and exporters within `service.shutdown_timeout`. Idempotent. */
  shutdown(): Promise<ShutdownReport>;
}

/** The error thrown when a config does not validate; `diagnostics` holds every problem found. */
export class ConfigInvalidError extends SluiceError {
  constructor(readonly diagnostics: readonly ConfigDiagnostic[]) {
    super(
      'SLUICE_CONFIG_INVALID',
      `the config does not validate:\n${diagnostics
        .filter((d) => d.severity === 'error')
        .map(formatDiagnostic)
        .join('\n')}`,
    );
    this.name = 'ConfigInvalidError';
  }
}

/** Loads and validates the config `options` name; throws ConfigInvalidError with every problem found. */
export function loadCollectorConfig(options: StartOptions): { config: CollectorConfig; diagnostics: ConfigDiagnostic[] } {
  const registry = options.registry ?? builtinComponents();
  const result =
    options.configFiles && options.configFiles.length > 0
      ? loadConfigFiles(options.configFiles, registry, { env: options.env })
      : loadConfigText(options.configText ?? '', registry, { env: options.env, file: '<config>' });
  if (!result.config) throw new ConfigInvalidError(result.diagnostics);
  return { config: result.config, diagnostics: result.diagnostics };
}

/** The collector's own log: stderr at `service.telemetry.logs.level`, in its encoding. */
export function collectorLogger(config: CollectorConfig): Logger {
  return createLogger({
    level: config.service.telemetry.logs.level,
    format: config.service.telemetry.logs.encoding === 'json' ? 'json' : 'text',
  });
}

/** Loads, validates and starts a collector in this process. */
export async function startCollector(options: StartOptions): Promise<RunningCollector> {
  const result = loadCollectorConfig(options);
  const config = result.config;
  const logger = options.logger ?? collectorLogger(config);
  // The primary of service.workers reports the warnings once, for all its workers.
  if (!options.worker) for (const warning of result.diagnostics) logger.warn(formatDiagnostic(warning));

  const metricsConfig = (options.worker?.count ?? 1) > 1 ? null : config.service.telemetry.metrics;
  const telemetry = new Telemetry({ processMetrics: config.service.telemetry.metrics !== null });
  const endpoints: Record<string, string> = {};
  const metricsServer = metricsConfig
    ? await startMetricsServer(
        { contentType: telemetry.registry.contentType, scrape: () => telemetry.scrape() },
        metricsConfig.host,
        metricsConfig.port,
      )
    : undefined;
  if (metricsServer) endpoints.metrics = metricsServer.address;

  const service = new Service(config, logger, telemetry, options.worker);
  try {
    await service.start();
  } catch (err) {
    await metricsServer?.close();
    // Listeners label their own bind failures; one that did not is labelled here. Anything else keeps its own code.
    throw isBindError(err)
      ? new SluiceError('SLUICE_BIND_FAILED', `the collector could not start: ${(err as Error).message}`, { cause: err })
      : err;
  }
  for (const [label, address] of service.listening()) endpoints[label] = address;
  const readySince = new Date();

  let stopping: Promise<ShutdownReport> | undefined;
  return {
    endpoints,
    config,
    telemetry,
    diagnostics: result.diagnostics,
    health() {
      const exporters = new Map([...service.exporterHealth()].map(([id, health]) => [id, health ?? null]));
      return { ready: service.state === 'ready', readySince, exporters };
    },
    shutdown() {
      stopping ??= service.shutdown().then(async (report) => {
        await metricsServer?.close();
        return report;
      });
      return stopping;
    },
  };
}
