/**
 * Against a real Loki, when LOKI_URL (e.g. http://127.0.0.1:3100) is set: push through the
 * exporter in both encodings, then query back with LogQL by label and by structured metadata.
 * LOKI_TENANT sets X-Scope-OrgID for a Loki with auth_enabled.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { Telemetry, createMemoryLogger, type Exporter } from '@sluice/core';
import { newLogRecord, type LogsData } from '@sluice/pdata';
import { lokiExporterFactory } from '@sluice/loki';

const LOKI_URL = process.env.LOKI_URL;
const TENANT = process.env.LOKI_TENANT ?? '';

async function queryRange(logql: string, startNs: bigint): Promise<Array<{ stream: Record<string, string>; values: string[][] }>> {
  const params = new URLSearchParams({
    query: logql,
    start: String(startNs),
    end: String(BigInt(Date.now() + 60_000) * 1_000_000n),
    limit: '100',
  });
  const res = await request(`${LOKI_URL}/loki/api/v1/query_range?${params.toString()}`, {
    headers: TENANT ? { 'x-scope-orgid': TENANT } : {},
  });
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
  return (JSON.parse(text) as { data: { result: Array<{ stream: Record<string, string>; values: string[][] }> } }).data.result;
}

/** Loki makes pushed lines queryable within a second or two; ask until they show up. */
async function eventually<T>(ask: () => Promise<T[]>, want: number): Promise<T[]> {
  for (let attempt = 0; ; attempt++) {
    const found = await ask();
    if (found.length >= want || attempt >= 30) return found;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('Loki exporter → real Loki (LOKI_URL)', function () {
  before(function () {
    if (!LOKI_URL) {
      console.log('    skipped: LOKI_URL is not set (no Loki on this machine)');
      this.skip();
    }
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`pushes (${encoding}) and finds the lines by label and by structured metadata`, async () => {
      const service = `sluice-test-${randomBytes(4).toString('hex')}`;
      const traceId = randomBytes(16).toString('hex');
      const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
      const config = lokiExporterFactory.configSchema.parse({
        endpoint: `${LOKI_URL}/loki/api/v1/push`,
        tenant_id: TENANT,
        encoding,
        retry_on_failure: { initial_interval: '100ms', max_elapsed_time: '10s' },
      });
      const exporter: Exporter = lokiExporterFactory.create(
        { id: 'loki', kind: 'exporter', logger: createMemoryLogger(), telemetry: new Telemetry() },
        config,
      );
      await exporter.start({ getExtension: () => undefined, getExporters: () => new Map() });
      const now = BigInt(Date.now()) * 1_000_000n;
      const logs: LogsData = {
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: service }], droppedAttributesCount: 0 },
            scopeLogs: [
              {
                scope: { name: 'real-loki-test', version: '', attributes: [], droppedAttributesCount: 0 },
                logRecords: [
                  newLogRecord({ timeUnixNano: now, body: 'traced line', severityNumber: 9, severityText: 'INFO', traceId }),
                  newLogRecord({ timeUnixNano: now + 1n, body: 'untraced line', severityNumber: 13 }),
                ],
                schemaUrl: '',
              },
            ],
            schemaUrl: '',
          },
        ],
      };
      try {
        await exporter.consume(logs, {});
      } finally {
        await exporter.shutdown(); // drains the queue
      }
      assert.equal(exporter.health!().entries_sent, 2, exporter.health!().last_error ?? '');

      const byLabel = await eventually(() => queryRange(`{service_name="${service}"}`, startNs).then((r) => r.flatMap((s) => s.values)), 2);
      assert.equal(byLabel.length, 2);
      const byMetadata = await eventually(() => queryRange(`{service_name="${service}"} | trace_id="${traceId}"`, startNs), 1);
      const lines = byMetadata.flatMap((s) => s.values.map((v) => (JSON.parse(v[1]!) as { body: unknown }).body));
      assert.deepEqual(lines, ['traced line']);
    });
  }
});
