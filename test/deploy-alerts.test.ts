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

/** The alerting rules of every rule file under `dir` (Prometheus and Loki share the format). */
function rules(...dir: string[]): Rule[] {
  return readdirSync(repoPath(...dir))
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => {
      const doc = readYaml(...dir, file);
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

/** undefined when promtool is not installed (spawn fails: ENOENT). */
function promtool(args: string[]): { status: number | null; output: string } | undefined {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  if (run.error) return undefined;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The annotations every alert carries: a summary, its LogQL, and an Explore link opening exactly that LogQL. */
function annotationProblems(parser: LogqlParser, rule: Rule): string[] {
  if (!rule.annotations.summary) return ['no summary'];
  const logql = fillTemplate(rule.annotations.logql ?? '');
  const problems = logqlProblems(parser, logql).map((p) => `logql ${logql}: ${p}`);
  if (exploreQuery(rule.annotations.logs_url ?? '') !== logql) problems.push('logs_url opens another query than logql');
  return problems;
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

  it('prometheus.yml loads every rule file', () => {
    assert.deepEqual((readYaml('deploy', 'prometheus', 'prometheus.yml') as Json).rule_files, ['rules/*.yml']);
  });

  it('every alert has a summary, and a LogQL query that parses, also inside its Grafana Explore link', () => {
    const all = rules('deploy', 'prometheus', 'rules');
    assert.ok(all.length >= 5);
    for (const rule of all) assert.deepEqual(annotationProblems(parser, rule), [], `${rule.file} / ${rule.alert}`);
  });

  it('every metric a rule reads is one the collector exports (a live scrape of configs/docker.yaml)', async function () {
    this.timeout(30_000);
    const exported = await dockerConfigMetricNames();
    for (const rule of rules('deploy', 'prometheus', 'rules'))
      assert.deepEqual(promqlProblems(rule.expr, exported), [], `${rule.file} / ${rule.alert}: ${rule.expr}`);
  });
});

describe('deploy: Loki ruler rules', function () {
  let parser: LogqlParser;
  before(async () => {
    parser = await loadLogqlParser();
  });

  it('the ruler reads the rules directory the compose files mount, tenant "fake" (auth off)', () => {
    const config = readYaml('loki-config.yaml') as Json;
    const ruler = config.ruler as Json;
    assert.equal(((ruler.storage as Json).local as Json).directory, '/etc/loki/rules');
    assert.equal(config.auth_enabled, false);
    assert.ok(readdirSync(repoPath('deploy', 'loki', 'rules')).includes('fake'));
    for (const [file, mount] of [
      [['docker-compose.yml'], './deploy/loki/rules:/etc/loki/rules:ro'],
      [['deploy', 'loki', 'docker-compose.yml'], './rules:/etc/loki/rules:ro'],
    ] as const) {
      const services = (readYaml(...file) as Json).services as Record<string, Json>;
      assert.ok((services.loki!.volumes as string[]).includes(mount), `${file.join('/')} mounts ${mount}`);
    }
  });

  it('every rule is valid LogQL with a summary and an Explore link for its LogQL', () => {
    const all = rules('deploy', 'loki', 'rules', 'fake');
    assert.ok(all.length >= 2);
    for (const rule of all) {
      assert.deepEqual(logqlProblems(parser, rule.expr), [], `${rule.file} / ${rule.alert}: ${rule.expr}`);
      assert.deepEqual(annotationProblems(parser, rule), [], `${rule.file} / ${rule.alert}`);
    }
  });
});
