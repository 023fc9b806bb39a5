import { z } from 'zod';
import { section } from '@sluice/core';
import {
  SEVERITY_NUMBER_BY_NAME,
  anyValueToString,
  getAttribute,
  type InstrumentationScope,
  type KeyValue,
  type LogRecord,
  type Resource,
} from '@sluice/pdata';
import { configValue, toAnyValue } from '../shared/values';
import { mustCompileRegex, refineRegex } from '../shared/regex';

const severityNumber = z.union([z.number().int().min(0).max(24), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const number = SEVERITY_NUMBER_BY_NAME.get(value.toUpperCase());
  if (number === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${value}" is not a severity (e.g. INFO, WARN2, ERROR, or 0..24)` });
    return z.NEVER;
  }
  return number;
});

const attributeMatch = section({ key: z.string().min(1), value: configValue.optional() });

/** otelcol's filterconfig.MatchProperties, the parts that apply to logs. */
export const matchPropertiesSchema = section({
  match_type: z.enum(['strict', 'regexp']),
  attributes: z.array(attributeMatch).optional(),
  resources: z.array(attributeMatch).optional(),
  libraries: z.array(section({ name: z.string(), version: z.string().optional() })).optional(),
  log_bodies: z.array(z.string()).optional(),
  log_severity_texts: z.array(z.string()).optional(),
  log_severity_number: section({ min: severityNumber, match_undefined: z.boolean().default(false) }).optional(),
}).superRefine((props, ctx) => {
  const { match_type: _, ...criteria } = props;
  if (Object.values(criteria).every((c) => c === undefined)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'needs at least one of attributes, resources, libraries, log_bodies, log_severity_texts, log_severity_number',
    });
  }
  if (props.match_type !== 'regexp') return;
  for (const list of ['attributes', 'resources'] as const) {
    props[list]?.forEach((entry, i) => {
      if (entry.value === undefined) return;
      if (typeof entry.value !== 'string') {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [list, i, 'value'],
          message: 'match_type regexp needs a string value (a regex)',
        });
      } else refineRegex(ctx, entry.value, [list, i, 'value']);
    });
  }
  props.libraries?.forEach((library, i) => {
    refineRegex(ctx, library.name, ['libraries', i, 'name']);
    if (library.version !== undefined) refineRegex(ctx, library.version, ['libraries', i, 'version']);
  });
  for (const list of ['log_bodies', 'log_severity_texts'] as const) {
    props[list]?.forEach((pattern, i) => refineRegex(ctx, pattern, [list, i]));
  }
});

export type MatchProperties = z.infer<typeof matchPropertiesSchema>;
export type RecordMatcher = (record: LogRecord, resource: Resource, scope: InstrumentationScope) => boolean;

/** A record matches when every configured criterion does (otelcol's filterlog semantics). */
export function compileMatcher(props: MatchProperties): RecordMatcher {
  const text = props.match_type === 'strict' ? strictText : regexpText;
  const checks: RecordMatcher[] = [];
  if (props.attributes) {
    const all = attributesMatcher(props.attributes, props.match_type);
    checks.push((record) => all(record.attributes));
  }
  if (props.resources) {
    const all = attributesMatcher(props.resources, props.match_type);
    checks.push((_, resource) => all(resource.attributes));
  }
  if (props.libraries) {
    const libraries = props.libraries.map((l) => ({ name: text(l.name), version: l.version === undefined ? undefined : text(l.version) }));
    checks.push((_r, _res, scope) => libraries.some((l) => l.name(scope.name) && (!l.version || l.version(scope.version))));
  }
  if (props.log_bodies) {
    const bodies = props.log_bodies.map(text);
    checks.push((record) => {
      const body = anyValueToString(record.body);
      return bodies.some((m) => m(body));
    });
  }
  if (props.log_severity_texts) {
    const texts = props.log_severity_texts.map(text);
    checks.push((record) => texts.some((m) => m(record.severityText)));
  }
  if (props.log_severity_number) {
    const { min, match_undefined } = props.log_severity_number;
    checks.push((record) => (record.severityNumber === 0 ? match_undefined : record.severityNumber >= min));
  }
  return (record, resource, scope) => checks.every((check) => check(record, resource, scope));
}

type TextMatcher = (value: string) => boolean;

function strictText(expected: string): TextMatcher {
  return (value) => value === expected;
}

function regexpText(pattern: string): TextMatcher {
  const regex = mustCompileRegex(pattern);
  return (value) => regex.test(value);
}

function attributesMatcher(
  entries: MatchProperties['attributes'] & {},
  matchType: 'strict' | 'regexp',
): (attributes: readonly KeyValue[]) => boolean {
  const matchers = entries.map(({ key, value }) => {
    if (value === undefined) return (attributes: readonly KeyValue[]) => getAttribute(attributes, key) !== undefined;
    if (matchType === 'regexp') {
      const regex = mustCompileRegex(String(value));
      return (attributes: readonly KeyValue[]) => {
        const actual = getAttribute(attributes, key);
        return actual !== undefined && regex.test(anyValueToString(actual));
      };
    }
    const expected = toAnyValue(value);
    return (attributes: readonly KeyValue[]) => getAttribute(attributes, key) === expected;
  });
  return (attributes) => matchers.every((matches) => matches(attributes));
}
