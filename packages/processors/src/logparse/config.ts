import { z } from 'zod';
import { section } from '@sluice/core';

const keyList = z.array(z.string().min(1)).min(1).optional();

/** Sluice's own processor, so the keys are ours. `keys.*` replace the default key lists. */
export const logparseConfigSchema = section({
  format: z.enum(['auto', 'json', 'logfmt']).default('auto'),
  keep_original: z.boolean().default(false),
  keys: section({
    timestamp: keyList,
    severity: keyList,
    message: keyList,
    trace_id: keyList,
    span_id: keyList,
  }).default({}),
});

export type LogparseConfig = z.infer<typeof logparseConfigSchema>;
