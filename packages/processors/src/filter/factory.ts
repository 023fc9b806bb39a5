import type { ProcessorFactory } from '@sluice/core';
import { filterConfigSchema, type FilterConfig } from './config';
import { FilterProcessor } from './processor';

const LOGS_ONLY = 'Sluice carries logs only, so this section has nothing to act on';
const LEGACY =
  'the legacy include/exclude filter is not implemented and ignoring it would keep records it drops; use logs.log_record OTTL conditions';

export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  kind: 'processor',
  type: 'filter',
  description: 'Drops log records that match any OTTL condition in logs.log_record.',
  configSchema: filterConfigSchema,
  capabilities: { mutatesData: true },
  unsupportedKeys: {
    'logs.include': { effect: 'error', why: LEGACY },
    'logs.exclude': { effect: 'error', why: LEGACY },
    traces: { effect: 'ignore', why: LOGS_ONLY },
    metrics: { effect: 'ignore', why: LOGS_ONLY },
    spans: { effect: 'ignore', why: LOGS_ONLY },
  },
  create: (settings, config, next) => new FilterProcessor(settings, config, next),
};
