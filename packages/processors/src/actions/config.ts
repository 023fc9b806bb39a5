import { z } from 'zod';
import { section } from '@sluice/core';
import { configValue } from '../shared/values';
import { refineRegex } from '../shared/regex';

/** One entry of otelcol's shared `actions` / `attributes` list (attraction.ActionKeyValue). */
const actionShape = section({
  key: z.string().optional(),
  pattern: z.string().optional(),
  action: z.enum(['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert']),
  value: configValue.optional(),
  from_attribute: z.string().optional(),
  from_context: z.string().optional(),
  converted_type: z.enum(['int', 'double', 'string']).optional(),
});

export type ActionConfig = z.infer<typeof actionShape>;

// Checked here rather than at create time so that a mistake is reported at its place in the file.
export const actionSchema = actionShape.superRefine((action, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  const sources = (['value', 'from_attribute', 'from_context'] as const).filter((k) => action[k] !== undefined);
  switch (action.action) {
    case 'insert':
    case 'update':
    case 'upsert':
      if (!action.key) issue('key', `"${action.action}" needs a key`);
      if (sources.length !== 1) {
        issue('action', `"${action.action}" needs exactly one of value, from_attribute, from_context (got ${sources.length})`);
      }
      if (action.pattern !== undefined) issue('pattern', `"${action.action}" does not take a pattern`);
      break;
    case 'delete':
    case 'hash':
      if (!action.key === (action.pattern === undefined)) issue('key', `"${action.action}" needs exactly one of key or pattern`);
      if (action.pattern !== undefined) refineRegex(ctx, action.pattern, ['pattern']);
      break;
    case 'extract': {
      if (!action.key) issue('key', '"extract" needs the key of the attribute to read');
      if (action.pattern === undefined) {
        issue('pattern', '"extract" needs a pattern with named groups, e.g. ^(?P<user>\\w+)@');
        break;
      }
      const regex = refineRegex(ctx, action.pattern, ['pattern']);
      if (regex && regex.groupNames.length === 0) issue('pattern', `"${action.pattern}" has no named groups to extract`);
      break;
    }
    case 'convert':
      if (!action.key) issue('key', '"convert" needs a key');
      if (action.converted_type === undefined) issue('converted_type', '"convert" needs converted_type: int, double or string');
      break;
  }
});

export const actionListSchema = z.array(actionSchema).min(1, { message: 'needs at least one action' });
