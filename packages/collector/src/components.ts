import { Registry, bearerTokenAuthExtensionFactory, fileStorageExtensionFactory } from '@sluice/core';
import { fileAdminExtensionFactory, jsonFileReceiverFactory, jsonlExporterFactory } from '@sluice/file';
import { lokiExporterFactory } from '@sluice/loki';
import { loadBalancingExporterFactory, otlpExporterFactory, otlpHttpExporterFactory, otlpReceiverFactory } from '@sluice/otlp';
import { connectorFactories, processorFactories } from '@sluice/processors';
import { debugExporterFactory } from './components/debug-exporter';
import { healthCheckExtensionFactory } from './components/health-check';
import { prometheusExporterFactory } from './components/prometheus/prometheus-exporter';

/** The components built into this distribution: what `sluice components` lists. */
export function builtinComponents(): Registry {
  const registry = new Registry();
  registry.register(otlpReceiverFactory);
  registry.register(jsonFileReceiverFactory);
  for (const factory of processorFactories) registry.register(factory);
  registry.register(jsonlExporterFactory);
  registry.register(lokiExporterFactory);
  registry.register(otlpExporterFactory);
  registry.register(otlpHttpExporterFactory);
  registry.register(loadBalancingExporterFactory);
  registry.register(debugExporterFactory);
  registry.register(prometheusExporterFactory);
  for (const factory of connectorFactories) registry.register(factory);
  registry.register(healthCheckExtensionFactory);
  registry.register(fileStorageExtensionFactory);
  registry.register(bearerTokenAuthExtensionFactory);
  registry.register(fileAdminExtensionFactory);
  return registry;
}
