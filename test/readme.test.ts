import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLogqlParser, logqlProblems } from './deploy-checks/grafana';

const README = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** The queries of the README's "Everyday LogQL" table, with markdown's `\|` escapes undone. */
function readmeLogqlQueries(): string[] {
  const start = README.indexOf('### Everyday LogQL');
  const table = README.slice(start, README.indexOf('\n## ', start));
  return [...table.matchAll(/^\|[^|]*(?:\\\|[^|]*)*\| `(.+)` \|$/gm)].map((m) => m[1]!.replace(/\\\|/g, '|'));
}

describe('README', function () {
  it('every everyday LogQL query parses', async () => {
    const queries = readmeLogqlQueries();
    assert.ok(queries.length >= 6, `found ${queries.length} queries`);
    const parser = await loadLogqlParser();
    for (const query of queries) assert.deepEqual(logqlProblems(parser, query), [], query);
  });

  it('names every metric the collector defines', () => {
    const sources = ['packages/core/src', 'packages/loki/src', 'packages/processors/src', 'packages/otlp/src'];
    const defined = execFileSync('grep', ['-rhoE', "'(otelcol|sluice)_[a-z_]+'", ...sources.map((s) => join(__dirname, '../..', s))], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((quoted) => quoted.slice(1, -1));
    for (const name of new Set(defined)) assert.ok(README.includes(name), `${name} is listed in the README`);
  });
});
