import { promqlMetricNames } from './promql';
import { isObject, type Json } from './repo';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  datasourceUid: string;
  expr: string;
}

/** Grafana replaces its variables before a query reaches Loki or Prometheus; so do we, with samples. */
export function interpolateGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$(?:__auto|__interval|__rate_interval|__range)\b|\$\{(?:__auto|__interval|__rate_interval|__range)\}/g, '1m')
    .replace(/\$\{\w+(?::\w+)?\}|\$\w+/g, 'sample');
}

function uidOf(datasource: unknown): string | undefined {
  if (typeof datasource === 'string') return datasource;
  return isObject(datasource) && typeof datasource.uid === 'string' ? datasource.uid : undefined;
}

/** Every query of every panel (rows included), with the datasource uid it runs against. */
export function dashboardQueries(name: string, dashboard: Json): PanelQuery[] {
  const queries: PanelQuery[] = [];
  const visit = (panels: unknown) => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels.filter(isObject)) {
      visit(panel.panels);
      const panelUid = uidOf(panel.datasource);
      for (const target of Array.isArray(panel.targets) ? panel.targets.filter(isObject) : []) {
        const uid = uidOf(target.datasource) ?? panelUid;
        if (typeof target.expr !== 'string' || uid === undefined) continue;
        queries.push({ dashboard: name, panel: String(panel.title), datasourceUid: uid, expr: target.expr });
      }
    }
  };
  visit(dashboard.panels);
  return queries;
}

/** Every datasource uid a dashboard refers to: panels, targets and templating variables. */
export function dashboardDatasourceUids(dashboard: Json): Set<string> {
  const uids = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    const uid = uidOf(node.datasource);
    if (uid !== undefined && !uid.startsWith('$') && uid !== '-- Grafana --' && uid !== 'grafana') uids.add(uid);
    Object.values(node).forEach(visit);
  };
  visit(dashboard);
  return uids;
}

/** The part of a Lezer parser these checks use. */
export interface LogqlParser {
  parse(input: string): {
    topNode: { firstChild: unknown };
    iterate(spec: { enter(node: { type: { isError: boolean }; from: number }): void }): void;
  };
}

/** Grafana's own LogQL grammar. The package is ESM, so it is loaded with import() from CommonJS. */
export async function loadLogqlParser(): Promise<LogqlParser> {
  const { parser } = await import('@grafana/lezer-logql');
  return parser;
}

/** Problems with a LogQL query: syntax errors from Grafana's LogQL grammar, with their position. */
export function logqlProblems(parser: LogqlParser, expr: string): string[] {
  const query = interpolateGrafanaVariables(expr);
  const problems: string[] = [];
  const tree = parser.parse(query);
  tree.iterate({
    enter(node) {
      if (node.type.isError) problems.push(`syntax error at ${node.from}: "${query.slice(Math.max(0, node.from - 10), node.from + 10)}"`);
    },
  });
  if (tree.topNode.firstChild === null) problems.push('empty query');
  return problems;
}

/** Problems with a PromQL query: it must read at least one metric, and only metrics the collector exports. */
export function promqlProblems(expr: string, exported: ReadonlySet<string>): string[] {
  const names = promqlMetricNames(interpolateGrafanaVariables(expr));
  if (names.length === 0) return ['reads no metric'];
  return names.filter((name) => !exported.has(name)).map((name) => `${name} is not a metric the collector exports`);
}
