import { z } from 'zod';
import { duration, section } from '@sluice/core';

/** otelcol's batch processor keys and defaults, so otelcol configs load; their meaning here is a group commit's. */
export const batchConfigSchema = section({
  /** A merge stops taking requests once it holds this many records (0: no limit). */
  send_batch_size: z.number().int().min(0).default(8192),
  /** Accepted and unused: no data waits for a timer. */
  timeout: duration('200ms'),
  /** No hand-off carries more records than this (0: no cap); larger merges and requests are split. */
  send_batch_max_size: z.number().int().min(0).default(0),
  metadata_keys: z.array(z.string().min(1)).default([]),
  metadata_cardinality_limit: z.number().int().min(0).default(1000),
}).superRefine((config, ctx) => {
  if (config.send_batch_max_size > 0 && config.send_batch_max_size < config.send_batch_size) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['send_batch_max_size'],
      message: `must be 0 (no cap) or at least send_batch_size (${config.send_batch_size})`,
    });
  }
  const seen = new Set<string>();
  config.metadata_keys.forEach((key, i) => {
    if (seen.has(key.toLowerCase())) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['metadata_keys', i],
        message: `"${key}" is listed twice (keys are case-insensitive)`,
      });
    }
    seen.add(key.toLowerCase());
  });
});

export type BatchConfig = z.infer<typeof batchConfigSchema>;
