import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Service,
  Telemetry,
  createMemoryLogger,
  type ExporterFactory,
  type Factory,
  type LogsConsumer,
  type ReceiverFactory,
  type ServiceComponentConfig,
  section,
} from '@sluice/core';
import { processorFactories } from '@sluice/processors';
import { cloneLogsData, encodeLogsJson, newLogRecord, type LogRecord, type LogsData } from '@sluice/pdata';

/**
 * Property: a receiver feeding several pipelines gives each pipeline's exporter exactly what it
 * gets when that pipeline runs alone, for any order of pipelines and any chain of real processors.
 */

/** Processor configs to build chains from, by id; the type is the part before the slash. */
const PROCESSORS: Record<string, unknown> = {
  'filter/below_warn': { logs: { log_record: ['severity_number < SEVERITY_NUMBER_WARN'] } },
  'filter/body_b': { logs: { log_record: ['body == "b"'] } },
  'attributes/delete': { actions: [{ key: 'k', action: 'delete' }] },
  'attributes/upsert': { actions: [{ key: 'k', value: 'changed', action: 'upsert' }] },
  'attributes/hash': { actions: [{ key: 'k', action: 'hash' }] },
  'resource/env': { attributes: [{ key: 'env', value: 'prod', action: 'upsert' }] },
  logparse: { format: 'json' },
  // Splits requests into batches of two records: the split must leave shared data alone.
  'batch/split': { timeout: 0, send_batch_size: 1, send_batch_max_size: 2 },
  memory_limiter: { check_interval: '1s', limit_mib: 1_000_000 },
};

/** Hands its `next` (the pipelines' fan-out) to the test. */
let fanout: LogsConsumer | undefined;
const captureReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'capture',
  description: 'test: exposes the fan-out',
  configSchema: section({}),
  create: (_settings, _config, next) => {
    fanout = next;
    return { start: async () => {}, shutdown: async () => {} };
  },
};

/**
 * Keeps what it is handed as OTLP/JSON twice: when handed, and once the request was answered,
 * so a change made later by another pipeline (to data a queue would still hold) shows too.
 */
interface Received {
  atConsume: string[];
  kept: LogsData[];
}
const received = new Map<string, Received>();
const keepingExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'keep',
  description: 'test: keeps what it is handed',
  configSchema: section({}),
  create: (settings) => {
    const mine: Received = { atConsume: [], kept: [] };
    received.set(settings.id, mine);
    return {
      start: async () => {},
      shutdown: async () => {},
      consume: (logs) => {
        mine.atConsume.push(encodeLogsJson(logs));
        mine.kept.push(logs);
        return Promise.resolve();
      },
    };
  },
};

function entry(id: string, factory: Factory, config: unknown): ServiceComponentConfig {
  return { id, factory, config };
}

function processorFactory(id: string): Factory {
  const type = id.split('/')[0];
  const factory = processorFactories.find((f) => f.type === type);
  if (!factory) throw new Error(`no processor factory ${type}`);
  return factory;
}

/** Runs the pipelines (each a chain of processor ids) on one copy of `input`; returns each pipeline's output. */
async function run(pipelines: readonly string[][], input: LogsData): Promise<Array<{ atConsume: string[]; atEnd: string[] }>> {
  received.clear();
  const used = new Set(pipelines.flat());
  const processors = new Map(
    [...used].map((id) => [id, entry(id, processorFactory(id), processorFactory(id).configSchema.parse(PROCESSORS[id]))]),
  );
  const exporters = new Map(pipelines.map((_, i) => [`keep/${i}`, entry(`keep/${i}`, keepingExporter, {})]));
  const service = new Service(
    {
      receivers: new Map([['capture', entry('capture', captureReceiver, {})]]),
      processors,
      exporters,
      extensions: new Map(),
      service: {
        extensions: [],
        pipelines: pipelines.map((chain, i) => ({ id: `logs/${i}`, receivers: ['capture'], processors: chain, exporters: [`keep/${i}`] })),
        shutdownTimeoutMs: 5000,
      },
    },
    createMemoryLogger(),
    new Telemetry(),
  );
  await service.start();
  try {
    await fanout!.consume(cloneLogsData(input), {});
  } finally {
    await service.shutdown();
  }
  return pipelines.map((_, i) => {
    const mine = received.get(`keep/${i}`)!;
    return { atConsume: mine.atConsume, atEnd: mine.kept.map((logs) => encodeLogsJson(logs)) };
  });
}

const recordArb: fc.Arbitrary<LogRecord> = fc
  .record({
    severityNumber: fc.constantFrom(5, 9, 13, 17, 21),
    body: fc.constantFrom('a', 'b', '{"msg":"parsed","level":"error","k":"from-body"}', 'level=warn msg=text'),
    attributes: fc.subarray([
      { key: 'k', value: 'v' },
      { key: 'other', value: 1n },
    ]),
  })
  .map((r) => newLogRecord(r));

const logsArb: fc.Arbitrary<LogsData> = fc
  .array(
    fc.record({
      env: fc.option(fc.constantFrom('dev', 'prod'), { nil: undefined }),
      scopes: fc.array(fc.array(recordArb, { maxLength: 4 }), { minLength: 1, maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 2 },
  )
  .map((resources) => ({
    resourceLogs: resources.map(({ env, scopes }) => ({
      resource: { attributes: env === undefined ? [] : [{ key: 'env', value: env }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: scopes.map((logRecords) => ({
        scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        logRecords,
      })),
    })),
  }));

const chainArb = fc.array(fc.constantFrom(...Object.keys(PROCESSORS)), { maxLength: 3 }).map((ids) => [...new Set(ids)]);

describe('fan-out property: every pipeline gets what it would get alone', function () {
  this.timeout(120_000);

  it('for random pipeline orders and processor chains', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(chainArb, { minLength: 2, maxLength: 4 }), logsArb, async (pipelines, input) => {
        const together = await run(pipelines, input);
        for (let i = 0; i < pipelines.length; i++) {
          const [alone] = await run([pipelines[i]!], input);
          assert.deepEqual(together[i]!.atConsume, alone!.atConsume, `pipeline ${i} [${pipelines[i]!.join(', ')}] as handed`);
          assert.deepEqual(together[i]!.atEnd, alone!.atEnd, `pipeline ${i} [${pipelines[i]!.join(', ')}] once answered`);
        }
      }),
      { numRuns: 60 },
    );
  });
});
