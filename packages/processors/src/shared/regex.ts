import { ZodIssueCode, type RefinementCtx } from 'zod';

/**
 * otelcol configs carry Go (RE2) regular expressions. Most of them mean the same in JavaScript;
 * the two spellings that differ and are common in configs are translated here: `(?P<name>...)`
 * named groups and leading inline flags such as `(?i)`.
 */
export type RegexResult = { ok: true; regex: RegExp } | { ok: false; message: string };

const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;
const GO_TO_JS_FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's' };

export function compileRegex(pattern: string): RegexResult {
  let source = pattern;
  let flags = '';
  const leading = LEADING_FLAGS.exec(source);
  if (leading) {
    for (const flag of leading[1]!) {
      const jsFlag = GO_TO_JS_FLAGS[flag];
      if (jsFlag === undefined) return { ok: false, message: `regex flag "${flag}" is not supported (only i, m, s)` };
      if (!flags.includes(jsFlag)) flags += jsFlag;
    }
    source = source.slice(leading[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<');
  try {
    return { ok: true, regex: new RegExp(source, flags) };
  } catch (err) {
    return { ok: false, message: `"${pattern}" is not a valid regular expression: ${(err as Error).message}` };
  }
}

/** Compiles a pattern that config validation already accepted. */
export function mustCompileRegex(pattern: string): RegExp {
  const result = compileRegex(pattern);
  if (!result.ok) throw new Error(result.message);
  return result.regex;
}

/** The names of a regex's named groups, in order. */
export function namedGroups(regex: RegExp): string[] {
  const names: string[] = [];
  for (const match of regex.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)) names.push(match[1]!);
  return names;
}

/** Adds a zod issue at `path` (relative to the refined object) when `pattern` does not compile. */
export function refineRegex(ctx: RefinementCtx, pattern: string, path: (string | number)[]): RegExp | undefined {
  const result = compileRegex(pattern);
  if (result.ok) return result.regex;
  ctx.addIssue({ code: ZodIssueCode.custom, path, message: result.message });
  return undefined;
}
