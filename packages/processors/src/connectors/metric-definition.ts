import { z } from 'zod';
import { anyValueToString, getAttribute, type AnyValue, type KeyValue, type LogRecord, type Resource } from '@sluice/pdata';
import { compileCondition, compileValue, type Condition, type ValueGetter } from '../filter/ottl/compile';
import { OttlError } from '../filter/ottl/lexer';

/** An attribute a derived metric is split by; without a default, records lacking it are not counted (as otelcol). */
export const attributeSchema = z
  .object({
    key: z.string().min(1),
    default_value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  })
  .strict();

export type AttributeConfig = z.infer<typeof attributeSchema>;

/** Checks that an OTTL text compiles, reporting the OTTL error at the key that holds it. */
export function ottl(kind: 'condition' | 'value') {
  const compile = kind === 'condition' ? compileCondition : compileValue;
  return z.string().superRefine((source, ctx) => {
    try {
      compile(source);
    } catch (err) {
      if (!(err instanceof OttlError)) throw err;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `OTTL ${kind} ${JSON.stringify(source)}: ${err.message}` });
    }
  });
}

/** How one derived metric reads a record. */
export type MetricKind =
  | { type: 'sum'; value: ValueGetter }
  | { type: 'gauge'; value: ValueGetter }
  | { type: 'histogram'; bounds: number[]; value: ValueGetter; count?: ValueGetter };

export interface MetricDefinition {
  name: string;
  description: string;
  unit: string;
  /** ORed; none means every record. */
  conditions: Condition[];
  attributes: readonly AttributeConfig[];
  /** signaltometrics' include_resource_attributes: the resource attributes kept (all when absent or empty). */
  includeResourceAttributes?: readonly AttributeConfig[];
  kind: MetricKind;
}

export function compileConditions(sources: readonly string[]): Condition[] {
  return sources.map((source) => compileCondition(source));
}

/**
 * The label values of a record for a metric's attributes, or undefined when one is missing and
 * has no default. `resourceFallback` looks in the resource when the record lacks a key (count).
 */
export function attributeValues(
  attributes: readonly AttributeConfig[],
  record: LogRecord,
  resource: Resource,
  resourceFallback: boolean,
): string[] | undefined {
  const values: string[] = [];
  for (const { key, default_value } of attributes) {
    let value: AnyValue | undefined = getAttribute(record.attributes, key);
    if (value === undefined && resourceFallback) value = getAttribute(resource.attributes, key);
    if (value === undefined || value === null) {
      if (default_value === undefined) return undefined;
      values.push(String(default_value));
    } else {
      values.push(anyValueToString(value));
    }
  }
  return values;
}

/** String attributes of a resource, for the metrics derived from its logs. */
export function resourceLabels(attributes: readonly KeyValue[], include?: readonly AttributeConfig[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (include === undefined || include.length === 0) {
    for (const { key, value } of attributes) out[key] = anyValueToString(value);
    return out;
  }
  for (const { key, default_value } of include) {
    const value = getAttribute(attributes, key);
    if (value !== undefined && value !== null) out[key] = anyValueToString(value);
    else if (default_value !== undefined) out[key] = String(default_value);
  }
  return out;
}

/** A number from an OTTL value; anything else (nil, a string, a map) yields none. */
export function numericValue(value: AnyValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}
