// The public surface of @sluice/collector, listed explicitly.
export { startCollector, ConfigInvalidError } from './start';
export type { StartOptions, RunningCollector } from './start';
export { builtinComponents } from './components';
export { DEFAULT_CONFIG } from './default-config';
export { main } from './cli';
export { healthCheckExtensionFactory } from './components/health-check';
export { debugExporterFactory } from './components/debug-exporter';
