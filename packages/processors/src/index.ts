// The public surface of @sluice/processors, listed explicitly.
import type { ConnectorFactory, ProcessorFactory } from '@sluice/core';
import { countConnectorFactory } from './connectors/count-factory';
import { signalToMetricsConnectorFactory } from './connectors/signaltometrics-factory';
import { attributesProcessorFactory } from './attributes/factory';
import { batchProcessorFactory } from './batch/factory';
import { filterProcessorFactory } from './filter/factory';
import { logparseProcessorFactory } from './logparse/factory';
import { memoryLimiterProcessorFactory } from './memory-limiter/factory';
import { resourceProcessorFactory } from './resource/factory';

export { batchProcessorFactory, resourceProcessorFactory, attributesProcessorFactory, filterProcessorFactory, logparseProcessorFactory };
export { memoryLimiterProcessorFactory };
export { MemoryLimiterProcessor } from './memory-limiter/processor';
export type { MemoryLimiterHooks } from './memory-limiter/processor';
export type { MemoryLimiterConfig } from './memory-limiter/config';
export { BatchProcessor } from './batch/processor';
export type { BatchConfig } from './batch/config';
export type { ResourceConfig } from './resource/factory';
export type { AttributesConfig } from './attributes/factory';
export type { FilterConfig } from './filter/config';
export type { LogparseConfig } from './logparse/config';
export { countConnectorFactory, signalToMetricsConnectorFactory };
export type { CountConfig } from './connectors/count-factory';
export type { SignalToMetricsConfig } from './connectors/signaltometrics-factory';
export { compileCondition, compileValue } from './filter/ottl/compile';
export type { Condition, ValueGetter } from './filter/ottl/compile';
export { OttlError } from './filter/ottl/lexer';

/** Every processor this package provides, for the collector's registry. */
export const processorFactories: readonly ProcessorFactory[] = [
  batchProcessorFactory,
  resourceProcessorFactory,
  attributesProcessorFactory,
  filterProcessorFactory,
  logparseProcessorFactory,
  memoryLimiterProcessorFactory,
];

/** Every connector this package provides: logs in, metrics out (they share the OTTL compiler with filter). */
export const connectorFactories: readonly ConnectorFactory[] = [countConnectorFactory, signalToMetricsConnectorFactory];
