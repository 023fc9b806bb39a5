import assert from 'node:assert/strict';
import type { MetricsConsumer, MetricsData } from '@sluice/core';
import { emptyResource, emptyScope, newLogRecord, type AnyValue } from '@sluice/pdata';
import { compileValue, countConnectorFactory, OttlError, signalToMetricsConnectorFactory } from '../src/index';
import { logsOf } from './helpers';
import { createMemoryLogger, Telemetry, type ConnectorFactory } from '@sluice/core';

class CapturingMetrics implements MetricsConsumer {
  readonly received: MetricsData[] = [];
  consumeMetrics(metrics: MetricsData): Promise<void> {
    this.received.push(metrics);
    return Promise.resolve();
  }
}

function connector<C>(factory: ConnectorFactory<C>, config: unknown) {
  const parsed = factory.configSchema.safeParse(config);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  const next = new CapturingMetrics();
  const settings = { id: factory.type, kind: 'connector' as const, logger: createMemoryLogger(), telemetry: new Telemetry() };
  return { connector: factory.create(settings, parsed.data, next), next };
}

const str = (value: string): AnyValue => value;

describe('OTTL value expressions', () => {
  const record = newLogRecord({
    attributes: [
      { key: 'ms', value: 1500n },
      { key: 'text', value: '2.5' },
      { key: 'f', value: 0.5 },
    ],
  });
  const value = (source: string) => compileValue(source)(record, emptyResource(), emptyScope());

  for (const [source, expected] of [
    ['1', 1n],
    ['attributes["ms"]', 1500n],
    ['Double(attributes["ms"]) / 1000', 1.5],
    ['attributes["ms"] / 1000', 1n],
    ['Double(attributes["text"]) * 2', 5],
    ['Int(attributes["f"])', 0n],
    ['(attributes["f"] + 1) * 2', 3],
    ['attributes["ms"] - 500 * 2', 500n],
    ['attributes["missing"] + 1', null],
    ['Double(attributes["missing"])', null],
    ['attributes["ms"] / 0', null],
  ] as const) {
    it(`${source} → ${String(expected)}`, () => assert.equal(value(source), expected));
  }

  it('refuses what it cannot compile, with an offset', () => {
    assert.throws(
      () => compileValue('attributes["ms"] +'),
      (err) => err instanceof OttlError,
    );
    assert.throws(
      () => compileValue('Sqrt(2)'),
      (err) => err instanceof OttlError && /not supported/.test(err.message),
    );
  });
});

describe('count connector', () => {
  it('without logs metrics, counts every record as log.record.count', async () => {
    const { connector: count, next } = connector(countConnectorFactory, null);
    await count.consume(logsOf([{ body: str('a') }, { body: str('b') }]), {});
    const metric = next.received[0]!.resourceMetrics[0]!.metrics[0]!;
    assert.equal(metric.name, 'log.record.count');
    assert.deepEqual(metric.data, { type: 'sum', monotonic: true, points: [{ attributes: {}, value: 2 }] });
  });

  it('counts per attribute value, falls back to the resource, defaults, and skips records lacking a key without default', async () => {
    const { connector: count, next } = connector(countConnectorFactory, {
      logs: {
        errors: {
          conditions: ['severity_number >= SEVERITY_NUMBER_ERROR'],
          attributes: [{ key: 'service.name' }, { key: 'route', default_value: 'none' }],
        },
        by_user: { attributes: [{ key: 'user' }] },
      },
    });
    const logs = logsOf(
      [
        { severityNumber: 17, attributes: [{ key: 'route', value: '/a' }] },
        {
          severityNumber: 17,
          attributes: [
            { key: 'route', value: '/a' },
            { key: 'user', value: 'ann' },
          ],
        },
        { severityNumber: 17 },
        { severityNumber: 9, attributes: [{ key: 'user', value: 'ann' }] },
      ],
      [{ key: 'service.name', value: 'shop' }],
    );
    await count.consume(logs, {});
    const [errors, byUser] = next.received[0]!.resourceMetrics[0]!.metrics;
    assert.deepEqual(errors!.data.points, [
      { attributes: { 'service.name': 'shop', route: '/a' }, value: 2 },
      { attributes: { 'service.name': 'shop', route: 'none' }, value: 1 },
    ]);
    assert.deepEqual(byUser!.data.points, [{ attributes: { user: 'ann' }, value: 2 }]);
  });

  it('passes nothing on when no record matches', async () => {
    const { connector: count, next } = connector(countConnectorFactory, { logs: { errors: { conditions: ['severity_number >= 17'] } } });
    await count.consume(logsOf([{ severityNumber: 9 }]), {});
    assert.equal(next.received.length, 0);
  });
});

describe('signaltometrics connector', () => {
  it('histogram buckets are upper-inclusive; gauges keep the last value; resources keep only what is included', async () => {
    const { connector: s2m, next } = connector(signalToMetricsConnectorFactory, {
      logs: [
        {
          name: 'latency',
          unit: 's',
          include_resource_attributes: [{ key: 'service.name' }, { key: 'env', default_value: 'dev' }],
          conditions: ['attributes["ms"] != nil'],
          histogram: { buckets: [0.1, 1], value: 'Double(attributes["ms"]) / 1000' },
        },
        { name: 'memory', gauge: { value: 'attributes["mem"]' } },
      ],
    });
    const ms = (n: number) => ({ attributes: [{ key: 'ms', value: BigInt(n) }] });
    const mem = (n: number) => ({ attributes: [{ key: 'mem', value: BigInt(n) }] });
    const logs = logsOf(
      [ms(100), ms(1000), ms(1001), mem(5), mem(3), { body: str('neither') }],
      [
        { key: 'service.name', value: 'shop' },
        { key: 'process.pid', value: 42n },
      ],
    );
    await s2m.consume(logs, {});
    const byName = new Map(next.received[0]!.resourceMetrics.flatMap((rm) => rm.metrics.map((m) => [m.name, { rm, m }] as const)));
    const latency = byName.get('latency')!;
    assert.deepEqual(latency.rm.resource, { 'service.name': 'shop', env: 'dev' });
    assert.deepEqual(latency.m.data, {
      type: 'histogram',
      bounds: [0.1, 1],
      points: [{ attributes: {}, count: 3, sum: 2.101, bucketCounts: [1, 1, 1] }],
    });
    const memory = byName.get('memory')!;
    assert.deepEqual(memory.rm.resource, { 'service.name': 'shop', 'process.pid': '42' });
    assert.deepEqual(memory.m.data, { type: 'gauge', points: [{ attributes: {}, value: 3 }] });
  });

  it('refuses a metric with none or two of sum, gauge, histogram, and unordered buckets', () => {
    const parse = (metric: object) => signalToMetricsConnectorFactory.configSchema.safeParse({ logs: [{ name: 'm', ...metric }] }).success;
    assert.equal(parse({}), false);
    assert.equal(parse({ sum: { value: '1' }, gauge: { value: '1' } }), false);
    assert.equal(parse({ histogram: { buckets: [1, 0.5], value: '1' } }), false);
    assert.equal(parse({ sum: { value: '1' } }), true);
  });
});
