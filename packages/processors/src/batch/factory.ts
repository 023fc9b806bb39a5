import type { ProcessorFactory } from '@sluice/core';
import { batchConfigSchema, type BatchConfig } from './config';
import { BatchProcessor } from './processor';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Merges log records that arrive while the previous batch is being handed on (group commit); never waits on a timer.',
  configSchema: batchConfigSchema,
  // It never changes what it is handed: a merge is a new LogsData around the callers' ResourceLogs,
  // and a split builds new ResourceLogs (and ScopeLogs where one is cut), each part with its own
  // Resource, leaving the original alone. The ResourceLogs it passes on may be shared with other
  // pipelines only if no processor of this pipeline changes data; if one does, the fan-out gave
  // this pipeline its own deep copy before any processor ran.
  capabilities: { mutatesData: false },
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
};
