import type { ProcessorFactory } from '@sluice/core';
import { batchConfigSchema, type BatchConfig } from './config';
import { BatchProcessor } from './processor';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Merges log records that arrive while the previous batch is being handed on (group commit); never waits on a timer.',
  configSchema: batchConfigSchema,
  capabilities: { mutatesData: false },
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
};
