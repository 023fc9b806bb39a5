import type { ProcessorFactory } from '@sluice/core';
import { logparseConfigSchema, type LogparseConfig } from './config';
import { LogparseProcessor } from './processor';

export const logparseProcessorFactory: ProcessorFactory<LogparseConfig> = {
  kind: 'processor',
  type: 'logparse',
  description: 'Parses JSON or logfmt log bodies into timestamp, severity, trace context, body and attributes.',
  configSchema: logparseConfigSchema,
  capabilities: { mutatesData: true },
  create: (settings, config, next) => new LogparseProcessor(settings, config, next),
};
