import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic, loadConfigText } from '@sluice/core';
import { builtinComponents } from '@sluice/collector';
import { loadLogqlParser, logqlProblems } from './deploy-checks/grafana';
import { README, readmeQueries } from './support/readme';

const REPO = join(__dirname, '../..');

/** Every README's YAML blocks that are whole configs (they define pipelines), not fragments of one. */
function completeReadmeConfigs(): Array<{ file: string; text: string }> {
  const files = ['README.md', ...readdirSync(join(REPO, 'packages')).map((name) => join('packages', name, 'README.md'))];
  return files.flatMap((file) => {
    let markdown: string;
    try {
      markdown = readFileSync(join(REPO, file), 'utf8');
    } catch {
      return [];
    }
    return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```/gm)]
      .map((m) => m[1]!)
      .filter((text) => /^ {2}pipelines:/m.test(text))
      .map((text) => ({ file, text }));
  });
}

describe('README', function () {
  it('every complete config shown validates against the built-in components', () => {
    const configs = completeReadmeConfigs();
    assert.ok(configs.length >= 1, `found ${configs.length} complete configs`);
    for (const { file, text } of configs) {
      const result = loadConfigText(text, builtinComponents(), { env: {}, file });
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      assert.deepEqual(errors, [], `${file}:\n${text}`);
    }
  });

  it('every everyday LogQL query parses', async () => {
    const queries = readmeQueries('### Everyday LogQL');
    assert.ok(queries.length >= 6, `found ${queries.length} queries`);
    const parser = await loadLogqlParser();
    for (const query of queries) assert.deepEqual(logqlProblems(parser, query), [], query);
  });

  it('every LogQL query of "Logs → metrics → alerts → traces" parses; its PromQL reads the derived metrics', async () => {
    const queries = readmeQueries('## Logs → metrics → alerts → traces');
    const logql = queries.filter((q) => q.startsWith('{'));
    assert.ok(logql.length >= 3, `found ${logql.length} LogQL queries`);
    const parser = await loadLogqlParser();
    for (const query of logql) assert.deepEqual(logqlProblems(parser, query), [], query);
    const promql = queries.filter((q) => !q.startsWith('{')).join(' ');
    for (const name of ['app_errors_total', 'http_server_request_duration_seconds_bucket']) assert.ok(promql.includes(name), name);
  });

  it('names every metric the collector defines', () => {
    const sources = ['packages/core/src', 'packages/loki/src', 'packages/processors/src', 'packages/otlp/src'];
    const defined = execFileSync('grep', ['-rhoE', "'(otelcol|sluice)_[a-z_]+'", ...sources.map((s) => join(__dirname, '../..', s))], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean)
      .map((quoted) => quoted.slice(1, -1));
    for (const name of new Set(defined)) assert.ok(README.includes(name), `${name} is listed in the README`);
  });
});
