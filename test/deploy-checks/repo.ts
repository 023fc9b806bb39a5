import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The repository root, whether the tests run from `test/*.ts` or from `test/dist/...`. */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package-lock.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no package-lock.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** Parses YAML strictly: any syntax error or duplicate key fails, with the file named. */
export function readYaml(...parts: string[]): unknown {
  const file = parts.join('/');
  try {
    return parse(readRepoFile(...parts), { uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "30s", "1m30s", "500ms" → milliseconds (the duration syntax Compose and otelcol share). */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: "${text}"`);
  return parts.reduce((total, [, value, unit]) => total + Number(value) * units[unit!]!, 0);
}
