import { z } from 'zod';
import { duration, section } from '@sluice/core';

const percentage = z.number().int().min(0).max(100, { message: 'must be a percentage between 0 and 100' });

/** otelcol's memory_limiter keys: a fixed limit in MiB, or a share of the memory available. */
export const memoryLimiterConfigSchema = section({
  check_interval: duration().refine((ms) => ms > 0, { message: 'must be greater than 0 (e.g. 1s)' }),
  limit_mib: z.number().int().min(0).default(0),
  spike_limit_mib: z.number().int().min(0).default(0),
  limit_percentage: percentage.default(0),
  spike_limit_percentage: percentage.default(0),
}).superRefine((config, ctx) => {
  if (config.limit_mib === 0 && config.limit_percentage === 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'set limit_mib or limit_percentage (greater than 0)' });
  }
  if (config.limit_mib > 0 && config.spike_limit_mib >= config.limit_mib) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['spike_limit_mib'], message: `must be less than limit_mib (${config.limit_mib})` });
  }
  if (config.limit_mib === 0 && config.limit_percentage > 0 && config.spike_limit_percentage >= config.limit_percentage) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['spike_limit_percentage'],
      message: `must be less than limit_percentage (${config.limit_percentage})`,
    });
  }
});

export type MemoryLimiterConfig = z.infer<typeof memoryLimiterConfigSchema>;

const MIB = 1024 * 1024;

/**
 * The hard and soft limits in bytes. As in otelcol, limit_mib wins over limit_percentage, and the
 * spike defaults to 20 % of the limit; data is refused above `hard - spike`.
 */
export function memoryLimits(config: MemoryLimiterConfig, totalMemoryBytes: number): { hard: number; soft: number } {
  if (config.limit_mib > 0) {
    const spike = config.spike_limit_mib > 0 ? config.spike_limit_mib * MIB : 0.2 * config.limit_mib * MIB;
    return { hard: config.limit_mib * MIB, soft: config.limit_mib * MIB - spike };
  }
  const hard = (totalMemoryBytes * config.limit_percentage) / 100;
  const spike = config.spike_limit_percentage > 0 ? (totalMemoryBytes * config.spike_limit_percentage) / 100 : 0.2 * hard;
  return { hard, soft: hard - spike };
}
