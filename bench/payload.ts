import { randomBytes } from 'node:crypto';
import type { KeyValue, LogRecord, LogsData } from '@sluice/pdata';

/**
 * The load every benchmark uses: requests of 100 records, each ≈380 bytes on the wire — a
 * ~140-byte body, 6 attributes of mixed types, 4 resource attributes, trace and span ids.
 */
export function benchRequest(records = 100): LogsData {
  const now = BigInt(Date.now()) * 1_000_000n;
  const logRecords: LogRecord[] = [];
  for (let i = 0; i < records; i++) {
    const attributes: KeyValue[] = [
      { key: 'http.method', value: 'POST' },
      { key: 'http.route', value: '/api/v1/checkout/{id}' },
      { key: 'http.status_code', value: 200n + BigInt(i % 5) },
      { key: 'duration_ms', value: 12.5 + i },
      { key: 'session.id', value: `sess-${(i * 7919).toString(16).padStart(8, '0')}` },
      { key: 'cache.hit', value: i % 3 === 0 },
    ];
    logRecords.push({
      timeUnixNano: now + BigInt(i) * 1000n,
      observedTimeUnixNano: now + BigInt(i) * 1000n + 500n,
      severityNumber: 9,
      severityText: 'INFO',
      body: `request completed: POST /api/v1/checkout/${1000 + i} for customer ${i % 97} in ${12 + i}ms, 3 items, total 129.90 EUR, payment ok via card ending 4242, shipping to DE, i=${i}`,
      attributes,
      droppedAttributesCount: 0,
      flags: 1,
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      eventName: '',
    });
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
        schemaUrl: '',
        scopeLogs: [
          { scope: { name: 'checkout-logger', version: '1.0.0', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', logRecords },
        ],
      },
    ],
  };
}
