import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newLogRecord, type LogsData } from '@sluice/core';
import { encodeLogsProto } from '@sluice/otlp';
import { spawnCollector } from './support/child-collector';
import { flatten, readJsonlLogs, tempDir } from './support/collector';

function batch(ids: number[]): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'sigterm-test' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'test', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: ids.map((id) => newLogRecord({ body: `record-${id}`, timeUnixNano: BigInt(Date.now()) * 1_000_000n })),
          },
        ],
      },
    ],
  };
}

/** SIGTERM while logs are flowing: every request answered with success is in the file after exit. */
describe('SIGTERM while logs are flowing', function () {
  this.timeout(60_000);

  it('keeps every acknowledged record', async () => {
    const tmp = await tempDir();
    const path = join(tmp.dir, 'logs.jsonl');
    const config = join(tmp.dir, 'config.yaml');
    await writeFile(
      config,
      `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  jsonl: { path: ${path} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl] }
`,
    );
    const collector = await spawnCollector([config]);
    const url = `http://${collector.endpoints['otlp/http']}/v1/logs`;
    const acknowledged = new Set<number>();
    let next = 0;
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const ids = Array.from({ length: 20 }, () => next++);
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeLogsProto(batch(ids)) });
          await res.arrayBuffer();
          if (res.status === 200) ids.forEach((id) => acknowledged.add(id));
        } catch {
          // connection refused or reset once the collector stops listening: not acknowledged
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const senders = Array.from({ length: 4 }, sender);
    while (acknowledged.size < 2000) await new Promise((resolve) => setTimeout(resolve, 10));
    collector.child.kill('SIGTERM');
    const code = await collector.exited;
    stop = true;
    await Promise.all(senders);

    assert.equal(code, 0, `clean exit; stderr: ${collector.stderr()}`);
    const written = new Set(flatten(await readJsonlLogs(path)).map((r) => Number(String(r.record.body).slice('record-'.length))));
    const missing = [...acknowledged].filter((id) => !written.has(id));
    assert.ok(acknowledged.size >= 2000);
    assert.deepEqual(missing, [], `${missing.length} acknowledged records missing from the file`);
    await tmp.cleanup();
  });
});
