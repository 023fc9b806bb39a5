import assert from 'node:assert/strict';
import { mapToStreams, resolveMappingOptions, splitRequest, type PushRequest } from '../src';
import { T0, kv, labelsOf, logsOf } from './helpers';

describe('streams', () => {
  it('groups records by label set and orders entries by time within a stream', () => {
    const logs = logsOf({ 'service.name': 'a' }, [
      { body: 'b3', timeUnixNano: T0 + 3n, attributes: kv({ route: 'b' }) },
      { body: 'a2', timeUnixNano: T0 + 2n, attributes: kv({ route: 'a' }) },
      { body: 'b1', timeUnixNano: T0 + 1n, attributes: kv({ route: 'b' }) },
      { body: 'b1-again', timeUnixNano: T0 + 1n, attributes: kv({ route: 'b' }) },
    ]);
    const [request] = mapToStreams(logs, resolveMappingOptions({ format: 'raw', attributeLabels: { route: null } }), T0);
    const byRoute = Object.fromEntries(
      request!.streams.map((s): [string, string[]] => [labelsOf(s.labels).route!, s.entries.map((e) => e.line)]),
    );
    assert.deepEqual(byRoute, { a: ['a2'], b: ['b1', 'b1-again', 'b3'] });
  });

  it('takes the time, else the observed time, else the receive time', () => {
    const logs = logsOf({ 'service.name': 'a' }, [
      { body: 'timed', timeUnixNano: T0 + 10n, observedTimeUnixNano: T0 + 20n },
      { body: 'observed', observedTimeUnixNano: T0 + 20n },
      { body: 'untimed' },
    ]);
    const [request] = mapToStreams(logs, resolveMappingOptions({ format: 'raw' }), T0 + 30n);
    assert.deepEqual(
      request!.streams[0]!.entries.map((e) => [e.line, e.timestampNs]),
      [
        ['timed', T0 + 10n],
        ['observed', T0 + 20n],
        ['untimed', T0 + 30n],
      ],
    );
  });

  it('makes one request per tenant, with the configured tenant as the default', () => {
    const logs = logsOf({ 'service.name': 'a' }, [
      { body: 'x', timeUnixNano: T0 },
      { body: 'y', timeUnixNano: T0, attributes: kv({ 'loki.tenant': 'org', org: 'team-b' }) },
    ]);
    const requests = mapToStreams(logs, resolveMappingOptions({ tenantId: 'team-a', format: 'raw' }), T0);
    assert.deepEqual(requests.map((r) => [r.tenant, r.streams.flatMap((s) => s.entries.map((e) => e.line))]).sort(), [
      ['team-a', ['x']],
      ['team-b', ['y']],
    ]);
  });

  it('splits a request above max_request_bytes between entries, keeping every entry once and in order', () => {
    const line = 'x'.repeat(100);
    const request: PushRequest = {
      tenant: 't',
      streams: [
        { labels: '{a="1"}', entries: Array.from({ length: 25 }, (_, i) => ({ timestampNs: BigInt(i), line, metadata: [] })) },
        { labels: '{a="2"}', entries: Array.from({ length: 5 }, (_, i) => ({ timestampNs: BigInt(i), line, metadata: [] })) },
      ],
    };
    const parts = splitRequest(request, 1000);
    assert.ok(parts.length > 1);
    for (const part of parts) assert.equal(part.tenant, 't');
    const flat = parts.flatMap((p) => p.streams.flatMap((s) => s.entries.map((e) => `${s.labels}${e.timestampNs}`)));
    const want = request.streams.flatMap((s) => s.entries.map((e) => `${s.labels}${e.timestampNs}`));
    assert.deepEqual(flat, want);
    for (const part of parts) {
      const size = part.streams.reduce((n, s) => n + s.entries.reduce((m, e) => m + e.line.length + 24, 8 + s.labels.length), 0);
      assert.ok(size <= 1000, `part of ${size} estimated bytes`);
    }
    assert.deepEqual(
      splitRequest(request, 1 << 22),
      [request].map((r) => ({ tenant: r.tenant, streams: r.streams })),
    );
  });

  it('sends an entry larger than the limit alone rather than dropping it', () => {
    const big = { timestampNs: 1n, line: 'y'.repeat(5000), metadata: [] };
    const small = { timestampNs: 2n, line: 'z', metadata: [] };
    const parts = splitRequest({ tenant: '', streams: [{ labels: '{a="1"}', entries: [small, big, small] }] }, 1000);
    assert.deepEqual(
      parts.map((p) => p.streams[0]!.entries.length),
      [1, 1, 1],
    );
  });
});
