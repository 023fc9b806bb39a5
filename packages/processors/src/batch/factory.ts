import type { ProcessorFactory } from '@sluice/core';
import { batchConfigSchema, type BatchConfig } from './config';
import { BatchProcessor } from './processor';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Groups log records into batches by size and time; acknowledges once the batch is accepted downstream.',
  configSchema: batchConfigSchema,
  capabilities: { mutatesData: false },
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
};
