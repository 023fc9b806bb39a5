import { z } from 'zod';
import { section } from '@sluice/core';
import { compileCondition } from './ottl/compile';
import { OttlError } from './ottl/lexer';

/** otelcol's filter processor, the logs part: OTTL `log_record` conditions. */
export const filterConfigSchema = section({
  error_mode: z.enum(['propagate', 'ignore', 'silent']).default('propagate'),
  logs: section({
    log_record: z.array(z.string().min(1)).default([]),
  }).default({}),
}).superRefine((config, ctx) => {
  config.logs.log_record.forEach((condition, i) => {
    try {
      compileCondition(condition);
    } catch (err) {
      if (!(err instanceof OttlError)) throw err;
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['logs', 'log_record', i],
        message: `OTTL condition ${JSON.stringify(condition)}: ${err.detail} (at offset ${err.offset})`,
      });
    }
  });
});

export type FilterConfig = z.infer<typeof filterConfigSchema>;
