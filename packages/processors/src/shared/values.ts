import { z } from 'zod';
import type { AnyValue } from '@sluice/pdata';

/**
 * A scalar value written in the YAML config. Integers become OTLP ints (bigint), other numbers
 * doubles, so `count: 3` sets an int attribute as it does in otelcol.
 */
export const configValue = z.union([z.string(), z.boolean(), z.bigint(), z.number()]);
export type ConfigValue = z.infer<typeof configValue>;

export function toAnyValue(value: ConfigValue): AnyValue {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}
