/**
 * Micro-benchmark of the OTLP logs codec: CPU-seconds per million records for protobuf decode and
 * encode and OTLP/JSON decode and encode, on the request shape DESIGN.md's figures use.
 *
 *   node bench/dist/codec.js [seconds-per-case]
 */
import { newLogRecord } from '@sluice/core';
import type { KeyValue, LogRecord, LogsData } from '@sluice/core';
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '@sluice/otlp';

/**
 * A realistic request: `records` log records with a ~140-byte body, 6 attributes of mixed types,
 * trace and span ids, under one resource with 4 attributes (≈380 protobuf bytes a record).
 */
export function makeBenchRequest(records = 100): LogsData {
  const start = 1_700_000_000_000_000_000n;
  const logRecords: LogRecord[] = [];
  for (let i = 0; i < records; i++) {
    const attributes: KeyValue[] = [
      { key: 'http.method', value: i % 3 === 0 ? 'POST' : 'GET' },
      { key: 'http.route', value: '/api/v1/orders/{id}' },
      { key: 'http.status_code', value: BigInt(i % 7 === 0 ? 503 : 200) },
      { key: 'duration_ms', value: 12.5 + (i % 50) * 0.75 },
      { key: 'cache.hit', value: i % 2 === 0 },
      { key: 'session.id', value: `sess-${((i * 7919) % 0xffffff).toString(16).padStart(8, '0')}` },
    ];
    logRecords.push(
      newLogRecord({
        timeUnixNano: start + BigInt(i) * 1_000_123n,
        observedTimeUnixNano: start + BigInt(i) * 1_000_123n + 250_000n,
        severityNumber: i % 10 === 0 ? 17 : 9,
        severityText: i % 10 === 0 ? 'ERROR' : 'INFO',
        body: `request completed: GET /api/v1/orders/${100_000 + i} for tenant acme in ${12 + (i % 50)}ms, 3 items, total 129.90 EUR, cache hit, region eu-west-1, i=${i}`,
        attributes,
        flags: 1,
        traceId: hex(16, i),
        spanId: hex(8, i + 1),
      }),
    );
  }
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: 'checkout' },
            { key: 'service.namespace', value: 'shop' },
            { key: 'deployment.environment.name', value: 'production' },
            { key: 'host.name', value: 'web-7f9c' },
          ],
          droppedAttributesCount: 0,
        },
        scopeLogs: [{ scope: { name: 'checkout.http', version: '1.4.0', attributes: [], droppedAttributesCount: 0 }, logRecords, schemaUrl: '' }],
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      },
    ],
  };
}

function hex(bytes: number, seed: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += (((seed + 1) * 131 + i * 29) & 0xff).toString(16).padStart(2, '0');
  return out;
}

/** Runs `fn` for about `seconds` of CPU time after a warm-up; returns CPU-seconds per million records. */
function measure(fn: () => unknown, recordsPerCall: number, seconds: number): number {
  for (let i = 0; i < 200; i++) fn(); // let V8 optimise before timing
  const before = process.cpuUsage();
  let calls = 0;
  let used = 0;
  while (used < seconds * 1e6) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    const now = process.cpuUsage(before);
    used = now.user + now.system;
  }
  return used / 1e6 / ((calls * recordsPerCall) / 1e6);
}

function main(): void {
  const seconds = Number(process.argv[2] ?? 2);
  const request = makeBenchRequest(100);
  const proto = encodeLogsProto(request);
  const json = encodeLogsJson(request);
  console.log(`request: 100 records, ${proto.length} protobuf bytes (${(proto.length / 100).toFixed(0)} a record), ${json.length} JSON bytes`);
  const cases: [string, () => unknown][] = [
    ['protobuf decode', () => decodeLogsProto(proto)],
    ['protobuf encode', () => encodeLogsProto(request)],
    ['OTLP/JSON decode', () => decodeLogsJson(json)],
    ['OTLP/JSON encode', () => encodeLogsJson(request)],
  ];
  for (const [name, fn] of cases) {
    console.log(`${name.padEnd(18)} ${measure(fn, 100, seconds).toFixed(2)} CPU-s per million records`);
  }
}

if (require.main === module) main();
