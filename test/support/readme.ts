import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's README.md. */
export const README = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

/** The queries of a README query table (the one under `heading`), with markdown's `\|` escapes undone. */
export function readmeQueries(heading: string): string[] {
  const start = README.indexOf(heading);
  assert.ok(start >= 0, `no "${heading}" in the README`);
  const table = README.slice(start, README.indexOf('\n## ', start));
  return [...table.matchAll(/^\|[^|]*(?:\\\|[^|]*)*\| `(.+)` \|$/gm)].map((m) => m[1]!.replace(/\\\|/g, '|'));
}
