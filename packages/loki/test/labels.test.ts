import assert from 'node:assert/strict';
import { LabelValueGuard, mapToStreams, normalizeLabelName, resolveMappingOptions, type MappingSettings } from '../src';
import { T0, kv, labelsOf, logsOf } from './helpers';

function labelsFor(resource: Record<string, string>, attributes: Record<string, string>, settings: MappingSettings = {}) {
  const requests = mapToStreams(
    logsOf(resource, [{ body: 'x', timeUnixNano: T0, attributes: kv(attributes) }]),
    resolveMappingOptions(settings),
    T0,
  );
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.streams.length, 1);
  const stream = requests[0]!.streams[0]!;
  return { labels: labelsOf(stream.labels), raw: stream.labels, entry: stream.entries[0]! };
}

describe('label mapping', () => {
  const table: Array<{
    name: string;
    resource: Record<string, string>;
    attributes?: Record<string, string>;
    settings?: MappingSettings;
    want: Record<string, string>;
  }> = [
    {
      name: 'default resource labels, normalised',
      resource: {
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'deployment.environment': 'prod',
        'deployment.environment.name': 'prod-eu',
        'host.name': 'h1',
      },
      want: { service_name: 'checkout', service_namespace: 'shop', deployment_environment: 'prod', deployment_environment_name: 'prod-eu' },
    },
    { name: 'no label at all → unknown_service', resource: { 'host.name': 'h1' }, want: { service_name: 'unknown_service' } },
    {
      name: 'configured resource and attribute labels',
      resource: { 'service.name': 'a', 'k8s.pod.name': 'pod-1' },
      attributes: { 'http.method': 'GET' },
      settings: { resourceLabels: { 'k8s.pod.name': null }, attributeLabels: { 'http.method': 'method' } },
      want: { service_name: 'a', k8s_pod_name: 'pod-1', method: 'GET' },
    },
    {
      name: 'static labels and hints',
      resource: { 'service.name': 'a', 'cloud.region': 'eu-1', 'loki.resource.labels': 'cloud.region' },
      attributes: { 'user-agent': 'curl', 'loki.attribute.labels': 'user-agent' },
      settings: { staticLabels: { 'cluster.name': 'c1' } },
      want: { service_name: 'a', cloud_region: 'eu-1', user_agent: 'curl', cluster_name: 'c1' },
    },
    {
      name: 'the llm-proxy mapping: default labels off, renames, static labels',
      resource: { 'service.name': 'llm-proxy', 'deployment.environment': 'x', machine: 'ana@box' },
      attributes: { log_type: 'request', provider: 'openai', session_id: 's1' },
      settings: {
        defaultResourceLabels: false,
        resourceLabels: { machine: null },
        attributeLabels: { log_type: null, provider: null },
        staticLabels: { app: 'llm-proxy', environment: 'dev' },
      },
      want: { app: 'llm-proxy', environment: 'dev', machine: 'ana@box', log_type: 'request', provider: 'openai' },
    },
    {
      name: 'trace and span ids never become labels, even when hinted',
      resource: { 'service.name': 'a' },
      attributes: { trace_id: 'abc', 'loki.attribute.labels': 'trace_id' },
      want: { service_name: 'a' },
    },
    {
      name: 'level label only when configured',
      resource: { 'service.name': 'a' },
      settings: { levelLabel: true },
      want: { service_name: 'a', level: 'error' },
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const requests = mapToStreams(
        logsOf(row.resource, [{ body: 'x', timeUnixNano: T0, severityNumber: 17, attributes: kv(row.attributes ?? {}) }]),
        resolveMappingOptions(row.settings),
        T0,
      );
      assert.deepEqual(labelsOf(requests[0]!.streams[0]!.labels), row.want);
    });
  }

  it('writes the label string with sorted names and escaped values', () => {
    const { raw } = labelsFor({ 'service.name': 'say "hi"\\\n' }, {}, { staticLabels: { a: '1' } });
    assert.equal(raw, '{a="1", service_name="say \\"hi\\"\\\\\\n"}');
  });

  it('normalises names as Prometheus does', () => {
    assert.equal(normalizeLabelName('service.name'), 'service_name');
    assert.equal(normalizeLabelName('k8s-pod/name'), 'k8s_pod_name');
    assert.equal(normalizeLabelName('1st'), 'key_1st');
    assert.equal(normalizeLabelName('ok_Name9'), 'ok_Name9');
  });

  it('removes promoted attributes and hints from the json line, keeps default labels and metadata copies', () => {
    const { entry } = labelsFor(
      { 'service.name': 'a', 'cloud.region': 'eu', 'loki.resource.labels': 'cloud.region', 'host.name': 'h' },
      { method: 'GET', session: 's1', 'loki.attribute.labels': 'method', 'loki.format': 'json' },
      { metadataAttributes: ['session'] },
    );
    const line = JSON.parse(entry.line) as { attributes: unknown; resources: unknown };
    assert.deepEqual(line.attributes, { session: 's1' });
    assert.deepEqual(line.resources, { 'service.name': 'a', 'host.name': 'h' });
    assert.equal(entry.metadata.find((pair) => pair.name === 'session')?.value, 's1');
  });

  it('keeps a record attribute that shares its key with a promoted resource attribute', () => {
    const { entry } = labelsFor({ 'service.name': 'a', region: 'eu', 'loki.resource.labels': 'region' }, { region: 'us' });
    const line = JSON.parse(entry.line) as { attributes: unknown; resources: unknown };
    assert.deepEqual(line.attributes, { region: 'us' });
    assert.deepEqual(line.resources, { 'service.name': 'a' });
  });

  it('honours loki.tenant (the name of the attribute holding the tenant) and loki.format', () => {
    const logs = logsOf({ 'service.name': 'a', 'loki.tenant': 'tenant.id', 'tenant.id': 'team-a' }, [
      { body: 'one', timeUnixNano: T0 },
      { body: 'two', timeUnixNano: T0, attributes: kv({ 'tenant.id': 'team-b', 'loki.format': 'raw' }) },
    ]);
    const requests = mapToStreams(logs, resolveMappingOptions({ tenantId: 'default' }), T0);
    const byTenant = Object.fromEntries(requests.map((r) => [r.tenant, r.streams[0]!.entries[0]!.line]));
    assert.deepEqual(Object.keys(byTenant).sort(), ['team-a', 'team-b']);
    assert.equal(byTenant['team-b'], 'two');
    assert.equal((JSON.parse(byTenant['team-a']!) as { body: unknown }).body, 'one');
  });

  describe('cardinality guard', () => {
    it('moves values beyond max_values_per_label to structured metadata, keeps them in the line, and reports them', () => {
      let clock = 0;
      const guard = new LabelValueGuard(2, 60_000, () => clock);
      const options = resolveMappingOptions({ attributeLabels: { user: null }, admitLabelValue: (l, v) => guard.admit(l, v) });
      const limited: string[] = [];
      const records = ['u1', 'u2', 'u3', 'u1'].map((user) => ({ body: user, timeUnixNano: T0, attributes: kv({ user }) }));
      const [request] = mapToStreams(logsOf({ 'service.name': 'a' }, records), options, T0, (label, value) =>
        limited.push(`${label}=${value}`),
      );
      const users = request!.streams.map((s) => labelsOf(s.labels).user ?? '-').sort();
      assert.deepEqual(users, ['-', 'u1', 'u2']);
      const overflow = request!.streams.find((s) => labelsOf(s.labels).user === undefined)!.entries[0]!;
      assert.deepEqual(
        overflow.metadata.find((p) => p.name === 'user'),
        { name: 'user', value: 'u3' },
      );
      assert.deepEqual((JSON.parse(overflow.line) as { attributes: unknown }).attributes, { user: 'u3' });
      assert.deepEqual(limited, ['user=u3']);
      // After the window, old values are forgotten and a new one fits again.
      clock = 61_000;
      assert.equal(guard.admit('user', 'u4'), true);
      assert.equal(guard.admit('user', 'u5'), true);
      assert.equal(guard.admit('user', 'u6'), false);
    });

    it('keeps a recently used value admitted while refusing new ones', () => {
      let clock = 0;
      const guard = new LabelValueGuard(1, 1000, () => clock);
      assert.equal(guard.admit('l', 'a'), true);
      clock = 900;
      assert.equal(guard.admit('l', 'a'), true);
      clock = 1500;
      assert.equal(guard.admit('l', 'b'), false, 'a was used 600ms ago: still inside the window');
      assert.equal(guard.admit('other', 'b'), true, 'the limit is per label');
    });
  });
});
