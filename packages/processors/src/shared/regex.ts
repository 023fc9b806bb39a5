import RE2 from 're2';
import { ZodIssueCode, type RefinementCtx } from 'zod';

/**
 * otelcol configs carry Go regular expressions, which run on RE2: linear time in the input, so a
 * config written for it cannot hang the pipeline on a hostile line as a backtracking engine would.
 * Sluice compiles them with RE2 too, which takes Go's syntax (`(?i)`, `(?P<name>...)`,
 * `[[:alpha:]]`, `\pL`) as it is.
 */
export interface RegexMatcher {
  /** Whether `text` contains a match (unanchored, as Go's MatchString). */
  test(text: string): boolean;
  /** The named groups of the first match in `text` (an unmatched group is undefined), or undefined if none. */
  groups(text: string): Readonly<Record<string, string | undefined>> | undefined;
  /** The pattern's named groups, in order. */
  readonly groupNames: readonly string[];
}

export type RegexResult = { ok: true; regex: RegexMatcher } | { ok: false; message: string };

// RE2 refuses these by design; say so rather than leave its bare parser message.
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/invalid escape sequence: \\([1-9]|k)/, 'backreferences'],
  [/invalid perl operator: \(\?<?[=!]/, 'lookahead or lookbehind'],
];

// An unescaped `(?P<name>` or `(?<name>`.
const NAMED_GROUP = /(?<!\\)(?:\\\\)*\(\?P?<([A-Za-z_]\w*)>/g;

export function compileRegex(pattern: string): RegexResult {
  let re2: RE2;
  try {
    re2 = new RE2(pattern);
  } catch (err) {
    const reason = (err as Error).message;
    const unsupported = UNSUPPORTED.find(([refused]) => refused.test(reason));
    const message = unsupported
      ? `"${pattern}" uses ${unsupported[1]}, which RE2 (the regex engine of otelcol and Sluice) does not support (${reason})`
      : `"${pattern}" is not a valid RE2 regular expression: ${reason}`;
    return { ok: false, message };
  }
  return {
    ok: true,
    regex: {
      // A Buffer: given a string, re2 caches its UTF-8 copy behind weak handles, which costs about
      // three times the plain encoding on lines that are each matched once.
      test: (text) => re2.test(Buffer.from(text)),
      groups: (text) => re2.exec(text)?.groups,
      groupNames: Array.from(pattern.matchAll(NAMED_GROUP), (match) => match[1] ?? ''),
    },
  };
}

/** Compiles a pattern that config validation already accepted. */
export function mustCompileRegex(pattern: string): RegexMatcher {
  const result = compileRegex(pattern);
  if (!result.ok) throw new Error(result.message);
  return result.regex;
}

/** Adds a zod issue at `path` (relative to the refined object) when `pattern` does not compile. */
export function refineRegex(ctx: RefinementCtx, pattern: string, path: (string | number)[]): RegexMatcher | undefined {
  const result = compileRegex(pattern);
  if (result.ok) return result.regex;
  ctx.addIssue({ code: ZodIssueCode.custom, path, message: result.message });
  return undefined;
}
