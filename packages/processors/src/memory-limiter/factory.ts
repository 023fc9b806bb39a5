import type { ProcessorFactory } from '@sluice/core';
import { memoryLimiterConfigSchema, type MemoryLimiterConfig } from './config';
import { MemoryLimiterProcessor } from './processor';

const GC_PACING = 'Sluice forces a collection on every check above the hard limit (when Node runs with --expose-gc)';

export const memoryLimiterProcessorFactory: ProcessorFactory<MemoryLimiterConfig> = {
  kind: 'processor',
  type: 'memory_limiter',
  description: 'Refuses data (retryable) while memory use is above the soft limit, so senders back off.',
  configSchema: memoryLimiterConfigSchema,
  capabilities: { mutatesData: false, passesRequestsThrough: true },
  unsupportedKeys: {
    min_gc_interval_when_soft_limited: { effect: 'ignore', why: GC_PACING },
    min_gc_interval_when_hard_limited: { effect: 'ignore', why: GC_PACING },
  },
  create: (settings, config, next) => new MemoryLimiterProcessor(settings, config, next),
};
