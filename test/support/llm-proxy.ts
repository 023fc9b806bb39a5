/**
 * configs/llm-proxy.yaml as its tests run it: the profile plus a second config file that moves the
 * listeners to free ports and the JSONL file to a temp dir (maps merge, later wins), and records
 * shaped as the proxy sends them.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { newLogRecord, type LogsData } from '@sluice/pdata';

export const LLM_PROXY_PROFILE = resolve(__dirname, '../../../configs/llm-proxy.yaml');

/** Writes the local override next to the JSONL file in `dir`; `service` adds to its `service` section. */
export async function llmProxyLocalConfig(dir: string, service: Record<string, unknown> = {}): Promise<string> {
  const local = join(dir, 'local.yaml');
  await writeFile(
    local,
    stringify({
      receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } } } },
      exporters: { jsonl: { path: join(dir, 'llm-proxy.jsonl') } },
      extensions: { health_check: { endpoint: '127.0.0.1:0' } },
      service: { ...service, telemetry: { metrics: { level: 'none' } } },
    }),
  );
  return local;
}

export interface ProxyLog {
  logType: 'session_start' | 'request' | 'response' | 'fork';
  provider: string;
  session: string;
  request: string;
}

/** One OTLP request holding `count` records of one kind, as the proxy's OTLP logger sends them. */
export function proxyLogs(log: ProxyLog, count = 1): LogsData {
  const now = BigInt(Date.now()) * 1_000_000n;
  const attributes = [
    { key: 'log_type', value: log.logType },
    { key: 'provider', value: log.provider },
    { key: 'session_id', value: log.session },
    { key: 'request_id', value: log.request },
  ];
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: 'llm-proxy' },
            { key: 'machine', value: 'ana@box' },
          ],
          droppedAttributesCount: 0,
        },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'llm-proxy', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: Array.from({ length: count }, (_, i) =>
              newLogRecord({ body: `${log.logType} ${log.request}`, timeUnixNano: now + BigInt(i), attributes }),
            ),
          },
        ],
      },
    ],
  };
}

/** The lines a LogQL log query finds through the Loki test server's query API (`lokiUrl`: its base URL). */
export async function logqlLines(lokiUrl: string, query: string): Promise<string[]> {
  const params = new URLSearchParams({ query, start: '0' });
  const res = await fetch(`${lokiUrl}/loki/api/v1/query_range?${params.toString()}`);
  assert.equal(res.status, 200, `${query}: ${await res.clone().text()}`);
  const body = (await res.json()) as { data: { result: Array<{ values: string[][] }> } };
  return body.data.result.flatMap((stream) => stream.values.map((value) => value[1]!));
}
