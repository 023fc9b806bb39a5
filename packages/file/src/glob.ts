/**
 * The `include` / `exclude` globs of the file receiver, as otelcol's doublestar globs: `*` and
 * `?` stay within a path segment, `**` crosses segments, `[abc]` / `[!abc]` and `{a,b}` as usual.
 * Files are found by walking the directory before the first wildcard.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';

const WILDCARD = /[*?[{]/;

export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else if (c === '{') {
      const close = pattern.indexOf('}', i + 1);
      if (close < 0) out += '\\{';
      else {
        out += `(?:${pattern
          .slice(i + 1, close)
          .split(',')
          .map((part) => globToRegExp(part).source.slice(1, -1))
          .join('|')})`;
        i = close;
      }
    } else out += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The regular files matching any `include` and no `exclude`, as absolute paths, sorted. */
export async function expandGlobs(include: readonly string[], exclude: readonly string[] = []): Promise<string[]> {
  const excluded = exclude.map((pattern) => globToRegExp(absolute(pattern)));
  const found = new Set<string>();
  for (const raw of include) {
    const pattern = absolute(raw);
    const matcher = globToRegExp(pattern);
    const segments = pattern.split('/');
    const firstWild = segments.findIndex((segment) => WILDCARD.test(segment));
    const candidates = firstWild < 0 ? [pattern] : await filesUnder(segments.slice(0, firstWild).join('/') || '/');
    for (const path of candidates) {
      if (matcher.test(path) && !excluded.some((re) => re.test(path)) && (await isFile(path))) found.add(path);
    }
  }
  return [...found].sort();
}

function absolute(pattern: string): string {
  const path = isAbsolute(pattern) ? pattern : join(resolve('.'), pattern);
  return sep === '/' ? path : path.split(sep).join('/');
}

/** Every file below `dir`, at any depth; none when `dir` does not exist (nobody wrote there yet). */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
