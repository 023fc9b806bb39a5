import assert from 'node:assert/strict';
import { join } from 'node:path';
import { builtinComponents } from '@sluice/collector';
import { createQueuedExporter, exporterHelperShape, section, type ExporterFactory, type ExporterHelperConfig } from '@sluice/core';
import { encodeLogsProto, getAttribute, newLogRecord, retryableError, type LogsData } from '@sluice/pdata';
import { flatten, readJsonlLogs, startTestCollector, tempDir } from './support/collector';

/**
 * An exporter whose every delivery waits until the test opens `slowGate`, behind the real
 * exporter helper's queue: "slow" without a wall-clock delay a busy machine could outrun.
 */
const slowDeliveries: LogsData[] = [];
let openSlowGate: () => void = () => {};
let slowGate = new Promise<void>((resolve) => (openSlowGate = resolve));
const slowExporterFactory: ExporterFactory<ExporterHelperConfig> = {
  kind: 'exporter',
  type: 'slowsink',
  description: 'test: delivers once the test lets it',
  configSchema: section({ ...exporterHelperShape() }),
  create: (settings, config) =>
    createQueuedExporter({
      settings,
      config,
      encode: (logs: LogsData) => logs,
      send: async (logs, signal) => {
        await new Promise<void>((resolve) => {
          void slowGate.then(resolve);
          signal.addEventListener('abort', () => resolve());
        });
        if (signal.aborted) return { ok: false, retryable: true, reason: 'aborted' };
        slowDeliveries.push(logs);
        return { ok: true };
      },
    }),
};

/** An exporter that refuses everything, as a full queue or a full disk would. */
const refusingExporterFactory: ExporterFactory = {
  kind: 'exporter',
  type: 'refuser',
  description: 'test: refuses all data as retryable',
  configSchema: section({}),
  create: () => ({
    start: async () => {},
    shutdown: async () => {},
    consume: () => Promise.reject(retryableError('SLUICE_QUEUE_FULL', 'refuser: sending queue is full')),
  }),
};

function registry() {
  return builtinComponents().register(slowExporterFactory).register(refusingExporterFactory);
}

function request(body: string): Uint8Array {
  const logs: LogsData = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'pipelines' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: [newLogRecord({ body, timeUnixNano: 1n })],
          },
        ],
      },
    ],
  };
  return encodeLogsProto(logs);
}

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request(body) });
  await res.arrayBuffer();
  return res.status;
}

const receivers = `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
`;

describe('pipelines: sharing, fan-out and acknowledgement', function () {
  let tmp: { dir: string; cleanup(): Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('two pipelines share one receiver and one exporter, each with its own processors', async () => {
    const shared = join(tmp.dir, 'shared.jsonl');
    const tagged = join(tmp.dir, 'tagged.jsonl');
    const { collector } = await startTestCollector(
      `${receivers}processors:
  resource/tag:
    attributes:
      - { key: pipeline, value: tagged, action: upsert }
exporters:
  jsonl/shared: { path: ${shared} }
  jsonl/tagged: { path: ${tagged} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs/plain: { receivers: [otlp], exporters: [jsonl/shared] }
    logs/tagged: { receivers: [otlp], processors: [resource/tag], exporters: [jsonl/shared, jsonl/tagged] }
`,
      { registry: registry() },
    );
    try {
      assert.equal(await post(`http://${collector.endpoints['otlp/http']}/v1/logs`, 'hello'), 200);
      const sharedRecords = flatten(await readJsonlLogs(shared));
      const taggedRecords = flatten(await readJsonlLogs(tagged));
      // The shared exporter gets the data once per pipeline, as in otelcol.
      assert.equal(sharedRecords.length, 2);
      assert.deepEqual(sharedRecords.map((r) => getAttribute(r.resource.attributes, 'pipeline') ?? null).sort(), [null, 'tagged'].sort());
      assert.equal(taggedRecords.length, 1);
      assert.equal(getAttribute(taggedRecords[0]!.resource.attributes, 'pipeline'), 'tagged');
    } finally {
      await collector.shutdown();
    }
  });

  it('a slow exporter does not delay another: the request is answered once both have accepted', async () => {
    slowDeliveries.length = 0;
    slowGate = new Promise<void>((resolve) => (openSlowGate = resolve));
    const path = join(tmp.dir, 'fast.jsonl');
    const { collector } = await startTestCollector(
      `${receivers}exporters:
  jsonl: { path: ${path} }
  slowsink: {}
service:
  shutdown_timeout: 10s
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [slowsink, jsonl] }
`,
      { registry: registry() },
    );
    try {
      assert.equal(await post(`http://${collector.endpoints['otlp/http']}/v1/logs`, 'fast'), 200);
      // Acknowledged while the slow delivery is held, and the fast exporter already has it.
      assert.equal(slowDeliveries.length, 0, 'the slow exporter has not delivered yet');
      assert.equal(flatten(await readJsonlLogs(path)).length, 1, 'the file has the record when the request is answered');
    } finally {
      openSlowGate();
      await collector.shutdown();
    }
    assert.equal(slowDeliveries.length, 1, 'shutdown drained the slow exporter');
  });

  it('a refusing exporter fails the request; the same exporter marked optional does not', async () => {
    const path = join(tmp.dir, 'kept.jsonl');
    const config = (optional: boolean) => `${receivers}exporters:
  jsonl: { path: ${path}, append: true }
  refuser: ${optional ? '{ optional: true }' : '{}'}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl, refuser] }
`;
    const required = await startTestCollector(config(false), { registry: registry() });
    try {
      const status = await post(`http://${required.collector.endpoints['otlp/http']}/v1/logs`, 'refused');
      assert.equal(status, 429, 'the refusal is retryable, so the client is told to back off');
    } finally {
      await required.collector.shutdown();
    }
    const optional = await startTestCollector(config(true), { registry: registry() });
    try {
      assert.equal(await post(`http://${optional.collector.endpoints['otlp/http']}/v1/logs`, 'kept'), 200);
      const warning = optional.logger.lines.find((l) => l.message.includes('optional exporter refused'));
      assert.ok(warning, 'the drop is logged');
      assert.equal(warning.fields.exporter, 'refuser');
    } finally {
      await optional.collector.shutdown();
    }
    // At-least-once: the required jsonl accepted the refused request too (the client will retry).
    assert.deepEqual(
      flatten(await readJsonlLogs(path)).map((r) => r.record.body),
      ['refused', 'kept'],
    );
  });
});
