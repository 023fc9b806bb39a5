import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, Telemetry, createMemoryLogger, loadConfigText, type CreateSettings, type Receiver } from '@sluice/core';
import { encodeLogsJson, type LogsData } from '@sluice/pdata';
import type { JsonlConfig } from '../src/config';
import { JsonlExporter } from '../src/exporter';
import { jsonlExporterFactory } from '../src/factory';
import { jsonFileReceiverFactory, jsonFileReceiverSchema } from '../src/json-file-receiver';
import { noHost, sampleLogs, withTempDir } from './helpers';

const line = (batch: number) => `${encodeLogsJson(sampleLogs(2, { batch }))}\n`;
const bodiesOf = (batch: number) => [`batch ${batch} record 0`, `batch ${batch} record 1`];

/** An otlpjsonfile receiver feeding a list of bodies, polling every 20ms. */
function startReceiver(raw: Record<string, unknown>) {
  const bodies: string[] = [];
  const logger = createMemoryLogger();
  const settings: CreateSettings = { id: 'otlpjsonfile', kind: 'receiver', logger, telemetry: new Telemetry() };
  const consumer = {
    consume: (logs: LogsData) => {
      for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) bodies.push(r.body as string);
      return Promise.resolve();
    },
  };
  const receiver: Receiver = jsonFileReceiverFactory.create(
    settings,
    jsonFileReceiverSchema.parse({ poll_interval: '20ms', ...raw }),
    consumer,
  );
  return { receiver, bodies, logger };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('otlpjsonfile receiver', () => {
  it('start_at: beginning reads what is there, then picks up lines appended and files created after the start', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'logs.jsonl');
      await writeFile(file, line(0));
      const { receiver, bodies } = startReceiver({ include: [join(dir, '*.jsonl')], start_at: 'beginning' });
      await receiver.start(noHost);
      try {
        await until(() => bodies.length === 2, 'the existing line');
        await appendFile(file, line(1));
        await until(() => bodies.length === 4, 'the appended line');
        await writeFile(join(dir, 'other.jsonl'), line(2));
        await until(() => bodies.length === 6, 'the new file');
        assert.deepEqual(bodies, [0, 1, 2].flatMap(bodiesOf));
      } finally {
        await receiver.shutdown();
      }
    }));

  it('start_at: end skips what is there at the start and reads only what is appended', () =>
    withTempDir(async (dir) => {
      const file = join(dir, 'logs.jsonl');
      await writeFile(file, line(0) + line(1));
      const { receiver, bodies } = startReceiver({ include: [join(dir, '*.jsonl')] });
      assert.equal(jsonFileReceiverSchema.parse({ include: ['x'] }).start_at, 'end', "otelcol's default");
      await receiver.start(noHost);
      try {
        await appendFile(file, line(2));
        await until(() => bodies.length === 2, 'the appended line');
        // A few more polls: the lines from before the start never come.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(bodies, bodiesOf(2));
      } finally {
        await receiver.shutdown();
      }
    }));

  it('keeps polling past a corrupt .gz file, reporting it once', () =>
    withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.jsonl.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
      const { receiver, bodies, logger } = startReceiver({ include: [join(dir, '*')], start_at: 'beginning' });
      await receiver.start(noHost);
      try {
        await writeFile(join(dir, 'b.jsonl'), line(0));
        await until(() => bodies.length === 2, 'the good file');
        await new Promise((resolve) => setTimeout(resolve, 100));
        const reports = logger.lines.filter((l) => l.message === 'corrupt compressed file skipped');
        assert.deepEqual(
          reports.map((l) => l.fields.file),
          [join(dir, 'a.jsonl.gz')],
        );
      } finally {
        await receiver.shutdown();
      }
    }));

  it('starts at the end past a corrupt .gz file (the default start_at), reporting it, and reads what is appended', () =>
    withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.jsonl.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
      const file = join(dir, 'b.jsonl');
      await writeFile(file, line(0));
      const { receiver, bodies, logger } = startReceiver({ include: [join(dir, '*')] });
      await receiver.start(noHost);
      try {
        await appendFile(file, line(1));
        await until(() => bodies.length === 2, 'the appended line');
        assert.deepEqual(bodies, bodiesOf(1));
        const reports = logger.lines.filter((l) => l.message === 'corrupt compressed file skipped');
        assert.deepEqual(
          reports.map((l) => l.fields.file),
          [join(dir, 'a.jsonl.gz')],
        );
      } finally {
        await receiver.shutdown();
      }
    }));
});

describe('jsonl path template with ${env:...}', () => {
  it('expands the variable at load and routes the rest by attribute under it', () =>
    withTempDir(async (dir) => {
      const registry = new Registry();
      registry.register(jsonFileReceiverFactory);
      registry.register(jsonlExporterFactory);
      const loaded = loadConfigText(
        `receivers:
  otlpjsonfile:
    include: [/nowhere/*.jsonl]
exporters:
  jsonl:
    path: \${env:TELEMETRY_DIR}/{resource.stack|nostack}/{attributes.server|_unrouted}/logs.jsonl
service:
  pipelines:
    logs:
      receivers: [otlpjsonfile]
      exporters: [jsonl]
`,
        registry,
        { env: { TELEMETRY_DIR: join(dir, 'telemetry') } },
      );
      assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
      const config = loaded.config.exporters.get('jsonl')!.config as JsonlConfig;
      const exporter = new JsonlExporter(
        { id: 'jsonl', kind: 'exporter', logger: createMemoryLogger(), telemetry: new Telemetry() },
        config,
      );
      await exporter.start(noHost);
      await exporter.consume(
        sampleLogs(1, { resource: [{ key: 'stack', value: 'prod' }], record: { attributes: [{ key: 'server', value: 'a' }] } }),
        {},
      );
      await exporter.consume(sampleLogs(1), {});
      await exporter.shutdown();
      assert.match(await readFile(join(dir, 'telemetry/prod/a/logs.jsonl'), 'utf8'), /"batch 0 record 0"/);
      assert.match(await readFile(join(dir, 'telemetry/nostack/_unrouted/logs.jsonl'), 'utf8'), /"batch 0 record 0"/);
    }));
});
