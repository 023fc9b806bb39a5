/**
 * Turns zod's issues into located, coded diagnostics with messages a config author can act on
 * ("expected a number, got a string"), keeping a component author's own messages as written.
 */
import { z, type ZodIssue, type ZodTypeAny } from 'zod';
import type { ErrorCode } from '@sluice/pdata';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, locate, type ConfigNode, type PathSegment, type Position } from './located';
import { keysAt } from './schema-keys';
import { nearestName } from './suggest';

/** A section being validated: its schema, its tree, and where it sits in the whole config. */
export interface SectionContext {
  schema: ZodTypeAny;
  node: ConfigNode;
  /** Where the section's own key is written (`loki:`). */
  keyPos: Position;
  /** The section's path in the whole config, e.g. ['exporters', 'loki']. */
  path: PathSegment[];
}

export function issueDiagnostics(issue: ZodIssue, section: SectionContext): ConfigDiagnostic[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKey(issue.path, key, section));
  if (issue.code === 'invalid_union') {
    const merged = mergedTypeIssue(issue);
    return merged ? issueDiagnostics(merged, section) : bestBranch(issue).flatMap((branch) => issueDiagnostics(branch, section));
  }
  const located = locate(section.node, section.keyPos, issue.path);
  const path = [...section.path, ...issue.path];
  const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
  const empty = issue.code === 'too_small' && issue.type === 'string' && Number(issue.minimum) === 1;
  let code: ErrorCode = missing || empty ? 'SLUICE_CONFIG_REQUIRED' : 'SLUICE_CONFIG_INVALID_VALUE';
  let message = readableMessage(issue);
  const unset = located.node?.kind === 'scalar' ? (located.node.env?.unset ?? []) : [];
  if (unset.length > 0) {
    const names = unset.join(', ');
    message += `; environment variable ${names} ${unset.length === 1 ? 'is' : 'are'} not set`;
    if (located.node?.kind === 'scalar' && located.node.value === '') code = 'SLUICE_CONFIG_REQUIRED';
  }
  return [diagnosticAt(code, 'error', path, missing ? located.keyPos : located.pos, message)];
}

function unknownKey(objectPath: PathSegment[], key: string, section: SectionContext): ConfigDiagnostic {
  const located = locate(section.node, section.keyPos, [...objectPath, key]);
  const valid = keysAt(section.schema, objectPath).sort();
  const suggestion = nearestName(key, valid);
  const message = suggestion
    ? `unknown key; did you mean ${suggestion}?`
    : valid.length > 0
      ? `unknown key; valid keys here: ${valid.join(', ')}`
      : 'unknown key';
  return diagnosticAt('SLUICE_CONFIG_UNKNOWN_KEY', 'error', [...section.path, ...objectPath, key], located.keyPos, message);
}

/** Every branch refused the value's type (`duration: true`): one "expected a string or a number". */
function mergedTypeIssue(issue: z.ZodInvalidUnionIssue): ZodIssue | undefined {
  const branches = issue.unionErrors.map((error) => error.issues);
  const samePlace = (i: ZodIssue) => i.code === 'invalid_type' && i.path.join('.') === issue.path.join('.');
  if (!branches.every((issues) => issues.length === 1 && samePlace(issues[0]!))) return undefined;
  const first = branches[0]![0] as z.ZodInvalidTypeIssue;
  const expected = [...new Set(branches.map((issues) => (issues[0] as z.ZodInvalidTypeIssue).expected))];
  return { ...first, message: `expected ${expected.map(withArticle).join(' or ')}, got ${withArticle(first.received)}` };
}

/** The branch that got furthest into the value (deepest issue), then the one with the fewest issues. */
function bestBranch(issue: z.ZodInvalidUnionIssue): ZodIssue[] {
  const depth = (issues: ZodIssue[]) => Math.max(...issues.map((i) => i.path.length));
  return issue.unionErrors
    .map((error) => error.issues)
    .reduce((best, issues) =>
      depth(issues) > depth(best) || (depth(issues) === depth(best) && issues.length < best.length) ? issues : best,
    );
}

function readableMessage(issue: ZodIssue): string {
  if (issue.message !== defaultMessage(issue)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.received === 'undefined' ? 'is required' : `expected ${withArticle(issue.expected)}, got ${withArticle(issue.received)}`;
    case 'invalid_enum_value': {
      const options = issue.options.map(String);
      const suggestion = nearestName(String(issue.received), options);
      return `"${String(issue.received)}" is not one of ${options.join(', ')}${suggestion ? `; did you mean ${suggestion}?` : ''}`;
    }
    case 'invalid_literal':
      return `must be ${JSON.stringify(issue.expected)}`;
    case 'too_small':
      if (issue.type === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      return bound(issue.type, issue.inclusive ? 'at least' : 'more than', issue.minimum);
    case 'too_big':
      return bound(issue.type, issue.inclusive ? 'at most' : 'less than', issue.maximum);
    default:
      return issue.message;
  }
}

function bound(type: string, comparison: string, limit: number | bigint): string {
  if (type === 'string') return `must be ${comparison} ${limit} characters long`;
  if (type === 'array' || type === 'set') return `must have ${comparison} ${limit} items`;
  return `must be ${comparison} ${limit}`;
}

function defaultMessage(issue: ZodIssue): string {
  return z.defaultErrorMap(issue, { defaultError: '', data: undefined }).message;
}

function withArticle(type: string): string {
  if (type === 'null' || type === 'undefined') return type;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
