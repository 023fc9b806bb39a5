import assert from 'node:assert/strict';
import { mapToStreams, resolveMappingOptions, type LineFormat } from '../src';
import { T0, kv, logsOf } from './helpers';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

function lineOf(
  format: LineFormat,
  record: Parameters<typeof logsOf>[1][number],
  resource: Record<string, string> = { 'service.name': 'api', 'host.name': 'h1' },
) {
  const [request] = mapToStreams(logsOf(resource, [{ timeUnixNano: T0, ...record }]), resolveMappingOptions({ format }), T0);
  return request!.streams[0]!.entries[0]!;
}

describe('lines', () => {
  it('json: the otelcol lokiexporter shape', () => {
    const entry = lineOf('json', {
      body: 'GET /cart 200',
      traceId: TRACE,
      spanId: SPAN,
      severityText: 'INFO',
      severityNumber: 9,
      attributes: kv({ 'http.status': 200n, ok: true, nested: { kvlist: kv({ a: 1.5 }) } }),
    });
    assert.deepEqual(JSON.parse(entry.line), {
      body: 'GET /cart 200',
      traceid: TRACE,
      spanid: SPAN,
      severity: 'INFO',
      attributes: { 'http.status': 200, ok: true, nested: { a: 1.5 } },
      resources: { 'service.name': 'api', 'host.name': 'h1' },
      instrumentation_scope: { name: 'app', version: '1.0' },
    });
  });

  it('json: leaves out what is empty, even everything', () => {
    const [request] = mapToStreams(logsOf({}, [{ timeUnixNano: T0 }], { name: '', version: '' }), resolveMappingOptions(), T0);
    assert.equal(request!.streams[0]!.entries[0]!.line, '{}');
    const entry = lineOf('json', { body: { kvlist: kv({ msg: 'hi' }) } }, {});
    assert.deepEqual(JSON.parse(entry.line), { body: { msg: 'hi' }, instrumentation_scope: { name: 'app', version: '1.0' } });
  });

  it('logfmt: quoted where needed', () => {
    const entry = lineOf('logfmt', {
      body: 'hello world',
      traceId: TRACE,
      severityText: 'WARN',
      attributes: kv({ user: 'bob', note: 'a="b"' }),
    });
    assert.equal(
      entry.line,
      `body="hello world" traceID=${TRACE} severity=WARN attribute_user=bob attribute_note="a=\\"b\\"" resource_service.name=api resource_host.name=h1 instrumentation_scope_name=app instrumentation_scope_version=1.0`,
    );
  });

  it('raw: the body alone, everything else in structured metadata', () => {
    const entry = lineOf('raw', {
      body: 'plain text',
      traceId: TRACE,
      spanId: SPAN,
      severityNumber: 17,
      severityText: 'ERROR',
      attributes: kv({ 'user.id': 'u1' }),
    });
    assert.equal(entry.line, 'plain text');
    assert.deepEqual(Object.fromEntries(entry.metadata.map((p) => [p.name, p.value])), {
      trace_id: TRACE,
      span_id: SPAN,
      severity_text: 'ERROR',
      severity_number: '17',
      detected_level: 'error',
      user_id: 'u1',
      host_name: 'h1',
    });
  });

  it('structured metadata off (Loki 2) sends none', () => {
    const [request] = mapToStreams(
      logsOf({ 'service.name': 'a' }, [{ timeUnixNano: T0, traceId: TRACE, severityNumber: 9 }]),
      resolveMappingOptions({ structuredMetadata: false }),
      T0,
    );
    assert.deepEqual(request!.streams[0]!.entries[0]!.metadata, []);
  });
});
