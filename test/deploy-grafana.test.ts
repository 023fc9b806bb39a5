import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dockerConfigMetricNames } from './deploy-checks/collector';
import { isBindMount } from './deploy-checks/compose';
import {
  dashboardDatasourceUids,
  dashboardQueries,
  loadLogqlParser,
  logqlProblems,
  promqlProblems,
  type LogqlParser,
} from './deploy-checks/grafana';
import { promqlMetricNames } from './deploy-checks/promql';
import { isObject, readRepoFile, readYaml, repoPath, type Json } from './deploy-checks/repo';

function dashboards(): [string, Json][] {
  return readdirSync(repoPath('grafana', 'dashboards'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const dashboard: unknown = JSON.parse(readRepoFile('grafana', 'dashboards', file));
      assert.ok(isObject(dashboard), `${file} is not a JSON object`);
      return [file, dashboard];
    });
}

function datasources(): Json[] {
  const file = readYaml('grafana', 'provisioning', 'datasources', 'datasources.yaml');
  assert.ok(isObject(file) && file.apiVersion === 1 && Array.isArray(file.datasources));
  return file.datasources.filter(isObject);
}

describe('deploy: Grafana provisioning', () => {
  let parser: LogqlParser;
  let exported: Set<string>;
  before(async () => {
    parser = await loadLogqlParser();
    exported = await dockerConfigMetricNames();
  });

  it('provisions Loki, Prometheus and a traces datasource whose URL comes from TEMPO_URL', () => {
    const byUid = new Map(datasources().map((d) => [d.uid, d]));
    assert.equal(byUid.get('loki')?.type, 'loki');
    assert.equal(byUid.get('prometheus')?.type, 'prometheus');
    assert.equal(byUid.get('traces')?.type, 'tempo');
    assert.equal(byUid.get('traces')?.url, '${TEMPO_URL}');
  });

  it('links trace_id from structured metadata and from the json line to the traces datasource', () => {
    const loki = datasources().find((d) => d.uid === 'loki')!;
    const fields = (loki.jsonData as Json).derivedFields as Array<{
      name: string;
      datasourceUid: string;
      url: string;
      matcherType: string;
      matcherRegex: string;
    }>;
    const uids = new Set(datasources().map((d) => d.uid));
    for (const field of fields) {
      assert.ok(uids.has(field.datasourceUid), `derived field ${field.name} links to unknown uid ${field.datasourceUid}`);
      // `$$` is Grafana's escape for a literal `$` in provisioning files.
      assert.equal(field.url, '$${__value.raw}');
    }
    assert.ok(fields.some((f) => f.matcherType === 'label' && f.matcherRegex === 'trace_id' && f.datasourceUid === 'traces'));
    const lineField = fields.find((f) => f.matcherType === 'regex');
    assert.ok(lineField, 'no regex derived field for the json line');
    const match = new RegExp(lineField.matcherRegex).exec(
      '{"body":"GET /","traceid":"4bf92f3577b34da6a3ce929d0e0e4736","spanid":"00f067aa0ba902b7"}',
    );
    assert.equal(match?.[1], '4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('a span opens the logs of its trace: a custom LogQL query on the trace_id structured metadata', () => {
    const traces = datasources().find((d) => d.uid === 'traces')!;
    const toLogs = (traces.jsonData as Json).tracesToLogsV2 as Json;
    assert.equal(toLogs.datasourceUid, 'loki');
    assert.equal(toLogs.customQuery, true);
    // `$$` is Grafana's escape for `$` in provisioning; the span variables are filled in as Grafana would.
    const query = String(toLogs.query)
      .replace(/\$\$/g, '$')
      .replace(/\$\{__span\.tags\["service\.name"\]\}/, 'checkout')
      .replace(/\$\{__trace\.traceId\}/, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(query, '{service_name="checkout"} | trace_id="4bf92f3577b34da6a3ce929d0e0e4736"');
    assert.deepEqual(logqlProblems(parser, query), []);
  });

  it('the dashboards provider reads the folder docker-compose.yml mounts the dashboards into', () => {
    const provider = readYaml('grafana', 'provisioning', 'dashboards', 'dashboards.yaml') as Json;
    const path = ((provider.providers as Json[])[0]!.options as Json).path;
    const grafana = ((readYaml('docker-compose.yml') as Json).services as Json).grafana as Json;
    const mounts = (grafana.volumes as string[]).map((v) => v.split(':')).filter(([source]) => isBindMount(source ?? ''));
    assert.ok(
      mounts.some(([source, target]) => source === './grafana/dashboards' && target === path),
      `no bind mount of ./grafana/dashboards at ${String(path)}`,
    );
    assert.ok(mounts.some(([source, target]) => source === './grafana/provisioning' && target === '/etc/grafana/provisioning'));
  });

  it('has the "Sluice collector", "Logs" and "Error analysis" dashboards, with unique uids', () => {
    const all = dashboards().map(([, d]) => d);
    assert.deepEqual(all.map((d) => d.title).sort(), ['Error analysis', 'Logs', 'Sluice collector']);
    assert.equal(new Set(all.map((d) => d.uid)).size, all.length);
  });

  it('every datasource uid a dashboard uses is provisioned', () => {
    const provisioned = new Set(datasources().map((d) => d.uid));
    for (const [file, dashboard] of dashboards()) {
      for (const uid of dashboardDatasourceUids(dashboard))
        assert.ok(provisioned.has(uid), `${file}: datasource uid ${uid} is not provisioned`);
    }
  });

  it('every Prometheus query reads only metrics a running collector serves on /metrics', () => {
    const queries = dashboards()
      .flatMap(([file, d]) => dashboardQueries(file, d))
      .filter((q) => q.datasourceUid === 'prometheus');
    assert.ok(queries.length >= 9, `only ${queries.length} Prometheus queries found`);
    for (const query of queries)
      assert.deepEqual(promqlProblems(query.expr, exported), [], `${query.dashboard} / ${query.panel}: ${query.expr}`);
  });

  it('Error analysis reads the derived error counter and latency histogram, and lists error logs', () => {
    const [, analysis] = dashboards().find(([, d]) => d.title === 'Error analysis')!;
    const queries = dashboardQueries('error-analysis', analysis);
    const read = new Set(queries.flatMap((q) => (q.datasourceUid === 'prometheus' ? promqlMetricNames(q.expr) : [])));
    for (const name of ['app_errors_total', 'http_server_request_duration_seconds_bucket']) assert.ok(read.has(name), `reads no ${name}`);
    assert.ok(
      queries.some((q) => q.datasourceUid === 'loki' && /detected_level=~"error/.test(q.expr)),
      'no error logs panel',
    );
  });

  it('the collector dashboard covers accepted, sent, failed, dropped, queue, latency, memory and CPU', () => {
    const [, collector] = dashboards().find(([, d]) => d.title === 'Sluice collector')!;
    const read = new Set(dashboardQueries('collector', collector).flatMap((q) => promqlMetricNames(q.expr)));
    for (const name of [
      'otelcol_receiver_accepted_log_records_total',
      'otelcol_exporter_sent_log_records_total',
      'otelcol_exporter_send_failed_log_records_total',
      'sluice_exporter_dropped_log_records_total',
      'otelcol_exporter_queue_size',
      'otelcol_exporter_queue_capacity',
      'sluice_exporter_send_duration_seconds_bucket',
      'otelcol_process_resident_memory_bytes',
      'otelcol_process_cpu_seconds_total',
    ]) {
      assert.ok(read.has(name), `no panel reads ${name}`);
    }
  });

  it('the metric check rejects names the collector does not export, and queries reading none', () => {
    assert.deepEqual(
      promqlProblems('sum by (exporter) (rate(otelcol_exporter_sent_log_records_total{exporter="loki"}[5m]))', exported),
      [],
    );
    assert.deepEqual(promqlProblems('rate(otelcol_exporter_sent_spans_total[$__rate_interval])', exported), [
      'otelcol_exporter_sent_spans_total is not a metric the collector exports',
    ]);
    assert.deepEqual(promqlProblems('vector(1)', exported), ['reads no metric']);
    assert.deepEqual(
      promqlMetricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{job="x"}[1m]))) / on (job) group_left b offset 5m > bool 1e3'),
      ['a_bucket', 'b'],
    );
  });

  it('every Loki query is valid LogQL', () => {
    const queries = dashboards()
      .flatMap(([file, d]) => dashboardQueries(file, d))
      .filter((q) => q.datasourceUid === 'loki');
    assert.ok(queries.length >= 4, `only ${queries.length} Loki queries found`);
    for (const query of queries)
      assert.deepEqual(logqlProblems(parser, query.expr), [], `${query.dashboard} / ${query.panel}: ${query.expr}`);
  });

  it('the LogQL check rejects broken queries', () => {
    assert.notDeepEqual(logqlProblems(parser, '{service_name="checkout" | json'), []);
    assert.notDeepEqual(logqlProblems(parser, 'sum by (service_name) (rate({service_name="x"}))'), []);
    assert.notDeepEqual(logqlProblems(parser, ''), []);
  });

  it('the Logs dashboard filters level on structured metadata, by service, free text and trace id', () => {
    const [, logs] = dashboards().find(([, d]) => d.title === 'Logs')!;
    const variables = ((logs.templating as Json).list as Json[]).map((v) => v.name);
    assert.deepEqual(variables, ['service', 'level', 'search', 'trace_id']);
    const panel = (logs.panels as Json[]).find((p) => p.type === 'logs')!;
    const expr = String((panel.targets as Json[])[0]!.expr);
    for (const part of ['{service_name=~"$service"}', '| detected_level=~"$level"', '$search', '| trace_id=~"$trace_id']) {
      assert.ok(expr.includes(part), `logs panel query lacks ${part}: ${expr}`);
    }
  });
});
