/**
 * OTLP/JSON values that JavaScript objects and numbers lose easily, over the whole path: raw
 * OTLP/JSON over HTTP → the receiver → the JSONL exporter (`json` and `flat`) and the Loki
 * exporter (json line) → read back from the files and the Loki test server. The body is written
 * by hand: the official exporters never send an int64 as a JSON number beyond 2^53.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getAttribute, isKeyValueList } from '@sluice/pdata';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitFor, type FlatRecord } from './support/collector';
import { startLokiTestServer, type LokiTestServer } from './support/loki';
import { otlpPipelineConfig } from './support/pipeline-config';

const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';
const BEYOND_2_53 = '9007199254740993';
/** A recent time in nanoseconds (Loki refuses old ones) that a double cannot hold exactly. */
const NOW_MS = Date.now() - 1000;
const TIME = `${BigInt(NOW_MS) * 1_000_000n + 123_457n}`;

/** The request, with every 64-bit value as a bare JSON number, and `__proto__` keys at each level. */
const REQUEST = `{"resourceLogs":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"exact"}},
  {"key":"__proto__","value":{"stringValue":"resource-proto"}}]},
 "scopeLogs":[{"logRecords":[{"timeUnixNano":${TIME},"observedTimeUnixNano":${TIME},"severityNumber":9,
  "body":{"kvlistValue":{"values":[
    {"key":"__proto__","value":{"kvlistValue":{"values":[{"key":"polluted","value":{"boolValue":true}}]}}},
    {"key":"msg","value":{"stringValue":"exact values"}}]}},
  "attributes":[
    {"key":"beyond","value":{"intValue":${BEYOND_2_53}}},
    {"key":"max","value":{"intValue":${INT64_MAX}}},
    {"key":"min","value":{"intValue":${INT64_MIN}}},
    {"key":"ratio","value":{"doubleValue":0.30000000000000004}},
    {"key":"__proto__","value":{"stringValue":"attribute-proto"}}]}]}]}]}`;

async function postJson(address: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${address}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

describe('OTLP/JSON in: exact int64 numbers and __proto__ keys reach every output', function () {
  let loki: LokiTestServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    loki = await startLokiTestServer();
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await loki.close();
    await cleanup();
  });

  it('keeps 2^53+1, int64 max and min exact and __proto__ keys present in JSONL json and flat, and in the Loki json line', async () => {
    const jsonPath = join(dir, 'logs.jsonl');
    const flatPath = join(dir, 'flat.jsonl');
    const { collector } = await startTestCollector(
      otlpPipelineConfig({
        'jsonl/json': { path: jsonPath, format: 'json', flush_interval: '10ms' },
        'jsonl/flat': { path: flatPath, format: 'flat', flush_interval: '10ms' },
        loki: { endpoint: loki.pushUrl, tenant_id: 'exact', format: 'json' },
      }),
    );
    try {
      const answer = await postJson(collector.endpoints['otlp/http']!, REQUEST);
      assert.equal(answer.status, 200, answer.text);
      await waitFor(() => (loki.entries().length > 0 ? true : undefined), 10_000, 'the Loki entry');
      await waitFor(
        async () => ((await readFile(flatPath, 'utf8').catch(() => '')).includes('\n') ? true : undefined),
        10_000,
        'the flat line',
      );
      await waitFor(async () => ((await readJsonlLogs(jsonPath)).length > 0 ? true : undefined), 10_000, 'the json line');
    } finally {
      await collector.shutdown();
    }

    // format: json — read back through the OTLP/JSON decoder, and checked as text too.
    const [{ resource, record }] = flatten(await readJsonlLogs(jsonPath)) as [FlatRecord];
    assert.equal(record.timeUnixNano, BigInt(TIME));
    assert.equal(getAttribute(record.attributes, 'beyond'), BigInt(BEYOND_2_53));
    assert.equal(getAttribute(record.attributes, 'max'), BigInt(INT64_MAX));
    assert.equal(getAttribute(record.attributes, 'min'), BigInt(INT64_MIN));
    assert.equal(getAttribute(record.attributes, 'ratio'), 0.30000000000000004);
    assert.equal(getAttribute(record.attributes, '__proto__'), 'attribute-proto');
    assert.equal(getAttribute(resource.attributes, '__proto__'), 'resource-proto');
    const body = record.body;
    assert.ok(isKeyValueList(body));
    assert.deepEqual(body.kvlist[0], { key: '__proto__', value: { kvlist: [{ key: 'polluted', value: true }] } });
    const jsonText = await readFile(jsonPath, 'utf8');
    for (const exact of [`"${BEYOND_2_53}"`, `"${INT64_MAX}"`, `"${INT64_MIN}"`, `"${TIME}"`])
      assert.ok(jsonText.includes(exact), `${exact} in ${jsonText}`);

    // format: flat — int64 beyond 2^53 as decimal strings, every __proto__ key an own member.
    const flat = JSON.parse((await readFile(flatPath, 'utf8')).trim()) as {
      time_unix_nano: string;
      time: string;
      attributes: object;
      resource: object;
      body: object;
    };
    assert.equal(flat.time_unix_nano, TIME);
    assert.equal(flat.time, `${new Date(NOW_MS).toISOString().slice(0, 23)}123457Z`);
    assert.deepEqual(Object.entries(flat.attributes), [
      ['beyond', BEYOND_2_53],
      ['max', INT64_MAX],
      ['min', INT64_MIN],
      ['ratio', 0.30000000000000004],
      ['__proto__', 'attribute-proto'],
    ]);
    assert.deepEqual(Object.entries(flat.resource), [
      ['service.name', 'exact'],
      ['__proto__', 'resource-proto'],
    ]);
    assert.deepEqual(Object.entries(flat.body), [
      ['__proto__', { polluted: true }],
      ['msg', 'exact values'],
    ]);

    // Loki json line: the same values, and the entry's timestamp is the exact time.
    const [entry] = loki.entries();
    assert.equal(entry!.timestampNs, BigInt(TIME));
    const line = JSON.parse(entry!.line) as { attributes: object; body: object; resources: object };
    assert.deepEqual(Object.entries(line.attributes), [
      ['beyond', BEYOND_2_53],
      ['max', INT64_MAX],
      ['min', INT64_MIN],
      ['ratio', 0.30000000000000004],
      ['__proto__', 'attribute-proto'],
    ]);
    assert.deepEqual(Object.entries(line.body), [
      ['__proto__', { polluted: true }],
      ['msg', 'exact values'],
    ]);
    assert.deepEqual(Object.entries(line.resources), [
      ['service.name', 'exact'],
      ['__proto__', 'resource-proto'],
    ]);
  });

  it('answers 400 naming the field for an int64 number out of range, instead of rounding it', async () => {
    const { collector } = await startTestCollector(otlpPipelineConfig({ loki: { endpoint: loki.pushUrl, tenant_id: 'exact' } }));
    try {
      const tooBig = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"n","value":{"intValue":9223372036854775808}}]}]}]}]}`;
      const answer = await postJson(collector.endpoints['otlp/http']!, tooBig);
      assert.equal(answer.status, 400);
      assert.match(
        answer.text,
        /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.attributes\[0\]\.value\.intValue: 9223372036854775808 is out of range/,
      );
    } finally {
      await collector.shutdown();
    }
    assert.equal(loki.entries().length, 0);
  });
});
