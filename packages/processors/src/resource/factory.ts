import { section, type ProcessorFactory } from '@sluice/core';
import type { z } from 'zod';
import { actionListSchema } from '../actions/config';
import { compileActions } from '../actions/compile';
import { statelessProcessor } from '../shared/processor';

export const resourceConfigSchema = section({ attributes: actionListSchema });
export type ResourceConfig = z.infer<typeof resourceConfigSchema>;

/** otelcol's `resource` processor: the shared action list applied to each resource's attributes. */
export const resourceProcessorFactory: ProcessorFactory<ResourceConfig> = {
  kind: 'processor',
  type: 'resource',
  description: 'Inserts, updates, deletes, hashes, extracts or converts resource attributes.',
  configSchema: resourceConfigSchema,
  capabilities: { mutatesData: true },
  create(_settings, config, next) {
    const apply = compileActions(config.attributes);
    return statelessProcessor((logs, context) => {
      for (const resourceLogs of logs.resourceLogs) apply(resourceLogs.resource.attributes, context);
      return next.consume(logs, context);
    });
  },
};
