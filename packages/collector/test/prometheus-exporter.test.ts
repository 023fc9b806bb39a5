import assert from 'node:assert/strict';
import type { MetricsData } from '@sluice/core';
import { CumulativeStore } from '../src/components/prometheus/cumulative-store';
import { metricName } from '../src/components/prometheus/prometheus-names';

describe('prometheus exporter', () => {
  describe('names, as otelcol translates them', () => {
    const plain = { namespace: '', addSuffixes: true };
    for (const [name, unit, type, expected] of [
      ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
      ['process.memory.usage', 'By', 'gauge', 'process_memory_usage_bytes'],
      ['app.errors', '', 'counter', 'app_errors_total'],
      ['app.errors.total', '{records}', 'counter', 'app_errors_total'],
      ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
      ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
      ['duration_seconds', 's', 'histogram', 'duration_seconds'],
      ['2xx', '', 'gauge', '_2xx'],
    ] as const) {
      it(`${name} (${unit || 'no unit'}, ${type}) → ${expected}`, () => assert.equal(metricName(name, unit, type, plain), expected));
    }
    it('prefixes the namespace; add_metric_suffixes: false keeps the bare name', () => {
      assert.equal(metricName('app.errors', '', 'counter', { namespace: 'shop', addSuffixes: true }), 'shop_app_errors_total');
      assert.equal(metricName('latency', 's', 'histogram', { namespace: '', addSuffixes: false }), 'latency');
    });
  });

  describe('cumulative store', () => {
    const delta = (value: number, attributes: Record<string, string>, resource: Record<string, string> = {}): MetricsData => ({
      resourceMetrics: [
        {
          resource,
          metrics: [
            {
              name: 'hits',
              description: 'Hits "so far".\nTwo lines.',
              unit: '',
              data: { type: 'sum', monotonic: true, points: [{ attributes, value }] },
            },
          ],
        },
      ],
    });

    it('adds deltas, escapes label values and help, merges const and resource labels (point wins)', () => {
      const dropped: string[] = [];
      const store = new CumulativeStore({
        namespace: '',
        addSuffixes: true,
        constLabels: { env: 'test' },
        resourceToLabels: true,
        maxSeriesPerMetric: 10,
        onDropped: (metric, reason) => dropped.push(`${metric} ${reason}`),
      });
      store.add(delta(2, { path: 'a"b\\c' }, { 'service.name': 'shop', env: 'prod' }));
      store.add(delta(3, { path: 'a"b\\c' }, { 'service.name': 'shop', env: 'prod' }));
      assert.equal(
        store.exposition(),
        '# HELP hits_total Hits "so far".\\nTwo lines.\n# TYPE hits_total counter\nhits_total{env="prod",path="a\\"b\\\\c",service_name="shop"} 5\n',
      );
      assert.deepEqual(dropped, []);
    });

    it('holds at most max_series_per_metric series, counting each point it drops; a type change is dropped too', () => {
      const dropped: string[] = [];
      const store = new CumulativeStore({
        namespace: '',
        addSuffixes: true,
        constLabels: {},
        resourceToLabels: false,
        maxSeriesPerMetric: 2,
        onDropped: (metric, reason) => dropped.push(`${metric} ${reason}`),
      });
      for (const user of ['a', 'b', 'c', 'a', 'd']) store.add(delta(1, { user }));
      store.add({
        resourceMetrics: [
          {
            resource: {},
            metrics: [
              {
                name: 'hits.total',
                description: '',
                unit: '',
                data: { type: 'histogram', bounds: [1], points: [{ attributes: {}, count: 1, sum: 1, bucketCounts: [1, 0] }] },
              },
            ],
          },
        ],
      });
      const lines = store
        .exposition()
        .split('\n')
        .filter((l) => l.startsWith('hits_total{'));
      assert.deepEqual(lines, ['hits_total{user="a"} 2', 'hits_total{user="b"} 1']);
      assert.deepEqual(dropped, ['hits_total series_limit', 'hits_total series_limit', 'hits_total type_conflict']);
    });
    it('keeps the exposition valid whatever resource attribute keys senders use: no empty, reserved or `le` label names', () => {
      const store = new CumulativeStore({
        namespace: '',
        addSuffixes: true,
        constLabels: {},
        resourceToLabels: true,
        maxSeriesPerMetric: 10,
        onDropped: () => undefined,
      });
      const resource = { '': 'empty', le: 'sender', __name__: 'other_metric', 'service.name': 'shop' };
      store.add({
        resourceMetrics: [
          {
            resource,
            metrics: [
              {
                name: 'latency',
                description: '',
                unit: 's',
                data: { type: 'histogram', bounds: [1], points: [{ attributes: {}, count: 1, sum: 0.5, bucketCounts: [1, 0] }] },
              },
            ],
          },
        ],
      });
      // One bad key fails the whole scrape in Prometheus (every metric of the collector is lost).
      for (const line of store
        .exposition()
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))) {
        const names = [...(line.match(/\{(.*)\}/)?.[1] ?? '').matchAll(/(?:^|,)([^=,]*)="(?:[^"\\]|\\.)*"/g)].map((m) => m[1]!);
        for (const name of names) assert.match(name, /^(?!__)[A-Za-z_][A-Za-z0-9_]*$/, line);
        assert.equal(new Set(names).size, names.length, `duplicate label in ${line}`);
        assert.match(line, /service_name="shop"/);
      }
    });
  });
});
