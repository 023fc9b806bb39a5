/**
 * The Loki exporter writes raw- and json-line pushes straight from the protobuf bytes a request arrived as
 * (no decoding). The same records sent as OTLP/JSON take the model path: Loki must store exactly
 * the same streams, lines, timestamps and structured metadata either way.
 */
import assert from 'node:assert/strict';
import { encodeLogsJson, newLogRecord, type LogsData } from '@sluice/pdata';
import { startTestCollector, waitFor } from './support/collector';
import { startLokiTestServer } from './support/loki/server';
import { postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

/** Times are `now` + 1..5 ns (Loki refuses entries older than a week). */
function mixedLogs(now: bigint): LogsData {
  const resource = (attributes: LogsData['resourceLogs'][number]['resource']['attributes']) => ({ attributes, droppedAttributesCount: 0 });
  const scope = { name: 'app', version: '1.0', attributes: [], droppedAttributesCount: 0 };
  return {
    resourceLogs: [
      {
        resource: resource([
          { key: 'service.name', value: 'checkout' },
          { key: 'host.name', value: 'web-1' },
          { key: 'process.pid', value: 4242n },
        ]),
        schemaUrl: '',
        scopeLogs: [
          {
            scope,
            schemaUrl: '',
            logRecords: [
              newLogRecord({
                timeUnixNano: now + 2n,
                severityNumber: 17,
                severityText: 'ERROR',
                body: 'payment declined: "card" ünïcødé 🙂',
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                attributes: [
                  { key: 'http.status_code', value: 402n },
                  { key: 'user.id', value: 'u-17' },
                  { key: 'retry', value: false },
                  { key: 'ratio', value: 0.25 },
                  { key: 'tags', value: ['a', 'b'] },
                ],
              }),
              // Earlier than the record before it: entries are sorted by time within a stream.
              newLogRecord({ timeUnixNano: now + 1n, severityNumber: 9, body: 'order placed' }),
              newLogRecord({ observedTimeUnixNano: now + 3n, body: { kvlist: [{ key: 'msg', value: 'structured' }] } }),
              newLogRecord({ timeUnixNano: now + 4n, body: 42n, attributes: [{ key: 'bytes', value: new Uint8Array([1, 2]) }] }),
            ],
          },
        ],
      },
      {
        resource: resource([{ key: 'service.name', value: 'billing' }]),
        schemaUrl: '',
        scopeLogs: [{ scope, schemaUrl: '', logRecords: [newLogRecord({ timeUnixNano: now + 5n, body: 'invoice sent' })] }],
      },
    ],
  };
}

describe('loki exporter: pushes written from the request bytes', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function lokiBehindCollector(format: 'raw' | 'json' = 'raw') {
    const loki = await startLokiTestServer({ authEnabled: false });
    cleanups.push(() => loki.close());
    const { collector } = await startTestCollector(
      otlpPipelineConfig({ loki: { endpoint: loki.pushUrl, format, sending_queue: { batch: { min_size: 0 } } } }),
    );
    cleanups.push(() => collector.shutdown());
    return { loki, receiver: collector.endpoints['otlp/http']! };
  }

  /** The streams Loki stored for `mixedLogs` sent as protobuf (from its bytes) and as OTLP/JSON (from the model), after checking they are the same. */
  async function sameFromBytesAsFromModel(format: 'raw' | 'json') {
    const fromBytes = await lokiBehindCollector(format);
    const fromModel = await lokiBehindCollector(format);
    const now = BigInt(Date.now()) * 1_000_000n;

    const sent = await postOtlpHttp(fromBytes.receiver, mixedLogs(now));
    assert.equal(sent.status, 200, sent.text);
    const json = await fetch(`http://${fromModel.receiver}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: encodeLogsJson(mixedLogs(now)),
    });
    assert.equal(json.status, 200, await json.text());

    for (const { loki } of [fromBytes, fromModel]) {
      await waitFor(() => (loki.entries().length === 5 ? true : undefined), 10_000, 'five entries in Loki');
    }
    const byBytes = fromBytes.loki.streams();
    assert.deepEqual(byBytes, fromModel.loki.streams());
    return byBytes;
  }

  it('stores the same entries for a protobuf request (from its bytes) as for the same records in OTLP/JSON (from the model)', async () => {
    const byBytes = await sameFromBytesAsFromModel('raw');
    // And what they are: a raw line is the body; the rest is structured metadata.
    const checkout = byBytes.find((s) => s.labels.service_name === 'checkout')!;
    assert.deepEqual(
      checkout.entries.map((e) => e.line),
      ['order placed', 'payment declined: "card" ünïcødé 🙂', '{"msg":"structured"}', '42'],
    );
    assert.equal(checkout.entries[1]!.metadata.trace_id, '5b8efff798038103d269b633813fc60c');
    assert.equal(checkout.entries[1]!.metadata.http_status_code, '402');
    assert.equal(checkout.entries[1]!.metadata.host_name, 'web-1');
  });

  it('stores the same json lines for a protobuf request (from its bytes) as for the same records in OTLP/JSON (from the model)', async () => {
    const byBytes = await sameFromBytesAsFromModel('json');
    // And what they are: the otelcol json line; service.name is a default label, so it stays in the line too.
    const checkout = byBytes.find((s) => s.labels.service_name === 'checkout')!;
    assert.deepEqual(JSON.parse(checkout.entries[1]!.line), {
      body: 'payment declined: "card" ünïcødé 🙂',
      traceid: '5b8efff798038103d269b633813fc60c',
      spanid: 'eee19b7ec3c1b174',
      severity: 'ERROR',
      attributes: { 'http.status_code': 402, 'user.id': 'u-17', retry: false, ratio: 0.25, tags: ['a', 'b'] },
      resources: { 'service.name': 'checkout', 'host.name': 'web-1', 'process.pid': 4242 },
      instrumentation_scope: { name: 'app', version: '1.0' },
    });
    assert.equal(checkout.entries[1]!.metadata.trace_id, '5b8efff798038103d269b633813fc60c');
    assert.equal(checkout.entries[1]!.metadata.http_status_code, undefined);
  });
});
