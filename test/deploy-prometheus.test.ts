import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dockerConfigMetricNames } from './deploy-checks/collector';
import { loadLogqlParser, logqlProblems, promqlProblems, type LogqlParser } from './deploy-checks/grafana';
import { isObject, readYaml, repoPath, type Json } from './deploy-checks/repo';

const PROMETHEUS_DIR = repoPath('deploy', 'prometheus');

interface Rule {
  file: string;
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}

function rules(): Rule[] {
  return readdirSync(repoPath('deploy', 'prometheus', 'rules'))
    .filter((file) => file.endsWith('.yml'))
    .flatMap((file) => {
      const doc = readYaml('deploy', 'prometheus', 'rules', file);
      assert.ok(isObject(doc) && Array.isArray(doc.groups), `${file} has no groups`);
      return (doc.groups as Json[]).flatMap((group) =>
        (group.rules as Json[]).map((rule) => ({
          file,
          alert: String(rule.alert),
          expr: String(rule.expr),
          annotations: (rule.annotations ?? {}) as Record<string, string>,
        })),
      );
    });
}

/** Alert templates filled in as Prometheus would, with a sample label value. */
function fillTemplate(text: string): string {
  return text.replace(/\{\{ \$labels\.\w+ \}\}/g, 'checkout');
}

/** The LogQL inside a Grafana Explore link (its `panes` parameter). */
function exploreQuery(url: string): string {
  const parsed = new URL(fillTemplate(url));
  assert.equal(parsed.pathname, '/explore');
  const panes = JSON.parse(parsed.searchParams.get('panes') ?? 'null') as Record<
    string,
    { datasource: string; queries: { expr: string }[] }
  >;
  const pane = Object.values(panes)[0]!;
  assert.equal(pane.datasource, 'loki');
  return pane.queries[0]!.expr;
}

function promtool(args: string[]): { status: number | null; output: string } | undefined {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('deploy: Prometheus alert rules', function () {
  let parser: LogqlParser;
  before(async () => {
    parser = await loadLogqlParser();
  });

  for (const [what, args] of [
    ['check config', ['check', 'config', 'prometheus.yml']],
    ['check rules', ['check', 'rules', ...readdirSync(repoPath('deploy', 'prometheus', 'rules')).map((f) => `rules/${f}`)]],
    ['test rules (each alert fires on synthetic series, and only then)', ['test', 'rules', 'tests/rules.test.yml']],
  ] as const) {
    it(`promtool ${what}`, function () {
      const run = promtool([...args]);
      if (!run) {
        console.log('    skipped: no promtool binary (Debian package "prometheus" installs it)');
        this.skip();
      }
      assert.equal(run.status, 0, run.output);
    });
  }

  it('prometheus.yml loads every rule file and scrapes the derived metrics', () => {
    const config = readYaml('deploy', 'prometheus', 'prometheus.yml') as Json;
    assert.deepEqual(config.rule_files, ['rules/*.yml']);
    const targets = (config.scrape_configs as Json[]).flatMap((job) =>
      (job.static_configs as Json[]).flatMap((c) => c.targets as string[]),
    );
    assert.ok(targets.includes('collector:8889'), 'the prometheus exporter of configs/docker.yaml');
  });

  it('every alert has a summary, and a LogQL query that parses, also inside its Grafana Explore link', () => {
    const all = rules();
    assert.ok(all.length >= 5);
    for (const rule of all) {
      const where = `${rule.file} / ${rule.alert}`;
      assert.ok(rule.annotations.summary, `${where}: no summary`);
      const logql = fillTemplate(rule.annotations.logql ?? '');
      assert.deepEqual(logqlProblems(parser, logql), [], `${where}: ${logql}`);
      assert.equal(exploreQuery(rule.annotations.logs_url ?? ''), logql, `${where}: logs_url opens another query`);
    }
  });

  it('every metric a rule reads is one the collector exports (a live scrape of configs/docker.yaml)', async function () {
    this.timeout(30_000);
    const exported = await dockerConfigMetricNames();
    for (const rule of rules()) assert.deepEqual(promqlProblems(rule.expr, exported), [], `${rule.file} / ${rule.alert}: ${rule.expr}`);
  });
});
