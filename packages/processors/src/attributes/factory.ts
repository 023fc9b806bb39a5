import type { z } from 'zod';
import { section, type ProcessorFactory } from '@sluice/core';
import { actionListSchema } from '../actions/config';
import { compileActions } from '../actions/compile';
import { statelessProcessor } from '../shared/processor';
import { compileMatcher, matchPropertiesSchema } from './match';

export const attributesConfigSchema = section({
  actions: actionListSchema,
  include: matchPropertiesSchema.optional(),
  exclude: matchPropertiesSchema.optional(),
});
export type AttributesConfig = z.infer<typeof attributesConfigSchema>;

const NOT_FOR_LOGS = 'is a span/metric property; otelcol refuses it for logs';

/**
 * otelcol's `attributes` processor for logs: the shared action list applied to each record's
 * attributes, to the records `include` selects and `exclude` does not.
 */
export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  kind: 'processor',
  type: 'attributes',
  description: 'Inserts, updates, deletes, hashes, extracts or converts log record attributes.',
  configSchema: attributesConfigSchema,
  capabilities: { mutatesData: true },
  unsupportedKeys: {
    'include.regexp': { effect: 'ignore', why: 'regex cache tuning; Sluice compiles each regex once' },
    'exclude.regexp': { effect: 'ignore', why: 'regex cache tuning; Sluice compiles each regex once' },
    'include.services': { effect: 'error', why: NOT_FOR_LOGS },
    'exclude.services': { effect: 'error', why: NOT_FOR_LOGS },
    'include.span_names': { effect: 'error', why: NOT_FOR_LOGS },
    'exclude.span_names': { effect: 'error', why: NOT_FOR_LOGS },
    'include.span_kinds': { effect: 'error', why: NOT_FOR_LOGS },
    'exclude.span_kinds': { effect: 'error', why: NOT_FOR_LOGS },
    'include.metric_names': { effect: 'error', why: NOT_FOR_LOGS },
    'exclude.metric_names': { effect: 'error', why: NOT_FOR_LOGS },
  },
  create(_settings, config, next) {
    const apply = compileActions(config.actions);
    const include = config.include ? compileMatcher(config.include) : undefined;
    const exclude = config.exclude ? compileMatcher(config.exclude) : undefined;
    return statelessProcessor((logs, context) => {
      for (const { resource, scopeLogs } of logs.resourceLogs) {
        for (const { scope, logRecords } of scopeLogs) {
          for (const record of logRecords) {
            if (include && !include(record, resource, scope)) continue;
            if (exclude && exclude(record, resource, scope)) continue;
            apply(record.attributes, context);
          }
        }
      }
      return next.consume(logs, context);
    });
  },
};
