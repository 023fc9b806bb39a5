/** The validated config, as the service builds pipelines from it. */
import type { ComponentKind, Factory, Signal } from '../component';
import type { ConfigDiagnostic } from './diagnostics';

export interface ComponentConfig {
  /** `type` or `type/name`, as written. */
  id: string;
  /** The type as written in the id (may be one of the factory's aliases). */
  type: string;
  /** The part after `/`, or '' when there is none. */
  name: string;
  kind: ComponentKind;
  factory: Factory;
  /** Parsed by the factory's schema, defaults applied. */
  config: unknown;
  /** Exporters only: Sluice's `optional: true` key (removed before the factory's schema sees the section). */
  optional: boolean;
}

export interface PipelineConfig {
  /** `logs`, `logs/<name>`, `metrics` or `metrics/<name>`. */
  id: string;
  signal: Signal;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface MetricsTelemetryConfig {
  level: 'none' | 'basic' | 'normal' | 'detailed';
  host: string;
  port: number;
}

export interface ServiceConfig {
  extensions: string[];
  pipelines: PipelineConfig[];
  telemetry: {
    /** null when `level: none`, or when `readers` are given but none is a Prometheus pull reader. */
    metrics: MetricsTelemetryConfig | null;
    logs: { level: 'debug' | 'info' | 'warn' | 'error'; encoding: 'console' | 'json' };
  };
  /** `service.shutdown_timeout` (Sluice-only key), default 30s. */
  shutdownTimeoutMs: number;
  /** `service.workers` (Sluice-only key): pipeline processes sharing the listening ports; `auto` = one per core. */
  workers: number | 'auto';
}

export interface CollectorConfig {
  receivers: Map<string, ComponentConfig>;
  processors: Map<string, ComponentConfig>;
  exporters: Map<string, ComponentConfig>;
  connectors: Map<string, ComponentConfig>;
  extensions: Map<string, ComponentConfig>;
  service: ServiceConfig;
  /** The files the config was read from, in merge order. */
  files: string[];
}

export interface LoadResult {
  /** Present only when there are no errors. */
  config?: CollectorConfig;
  /** Every error and warning, errors first. */
  diagnostics: ConfigDiagnostic[];
}
