import assert from 'node:assert/strict';
import {
  ConsumeError,
  decodeLogsProtoLazily,
  encodeLogsProto,
  permanentError,
  retryableError,
  wireBytesOf,
  type LogsData,
} from '@sluice/pdata';
import type { LogsConsumer } from '../src/component';
import { createMemoryLogger } from '../src/logger';
import { ExporterFanout, PipelineFanout } from '../src/pipeline/fanout';
import { MetricsFanout } from '../src/pipeline/metrics-fanout';
import { Telemetry } from '../src/telemetry/telemetry';
import { makeLogs, sample } from './exporterhelper-helpers';

const throwsBug: LogsConsumer = {
  consume: () => {
    throw new TypeError('undefined is not a function');
  },
};
const refusesBadData: LogsConsumer = { consume: () => Promise.reject(permanentError('SLUICE_BAD_DATA', 'bad record')) };
const queueFull: LogsConsumer = { consume: () => Promise.reject(retryableError('SLUICE_QUEUE_FULL', 'full')) };

/** The refusal code the sender hears, for pipelines in the given order. */
async function refusal(consumers: LogsConsumer[]): Promise<string> {
  const fanout = new PipelineFanout(
    consumers.map((consumer, i) => ({ id: `logs/${i}`, consumer, mutates: false })),
    createMemoryLogger(),
  );
  try {
    await fanout.consume(makeLogs(0, 2), {});
  } catch (err) {
    assert.ok(err instanceof ConsumeError);
    return err.code;
  }
  return 'accepted';
}

describe('pipeline fan-out: which refusal the sender hears', () => {
  it('does not depend on the order of pipelines: retryable, then a bug, then bad data', async () => {
    for (const [consumers, expected] of [
      [[throwsBug, refusesBadData], 'SLUICE_INTERNAL'],
      [[refusesBadData, throwsBug], 'SLUICE_INTERNAL'],
      [[refusesBadData, queueFull, throwsBug], 'SLUICE_QUEUE_FULL'],
      [[throwsBug, refusesBadData, queueFull], 'SLUICE_QUEUE_FULL'],
    ] as const) {
      assert.equal(await refusal([...consumers]), expected);
    }
  });
});

describe('pipeline fan-out: the bytes a request arrived as', () => {
  /** What each pipeline saw of the bytes, by pipeline. */
  async function bytesSeen(mutates: boolean[]): Promise<Array<Uint8Array | undefined>> {
    const seen: Array<Uint8Array | undefined> = [];
    const pipelines = mutates.map((m, i) => ({
      id: `logs/${i}`,
      mutates: m,
      consumer: {
        consume: (logs: LogsData) => {
          seen[i] = wireBytesOf(logs);
          return Promise.resolve();
        },
      },
    }));
    await new PipelineFanout(pipelines, createMemoryLogger()).consume(decodeLogsProtoLazily(encodeLogsProto(makeLogs(0, 2))).logs, {});
    return seen;
  }

  it('reach pipelines that only read the data, never one that changes it', async () => {
    const [readOnly] = await bytesSeen([false]);
    assert.ok(readOnly instanceof Uint8Array);
    assert.deepEqual(await bytesSeen([true]), [undefined]);
    const [reader, changer] = await bytesSeen([false, true]);
    assert.ok(reader instanceof Uint8Array, 'the reader shares the original, bytes and all');
    assert.equal(changer, undefined, 'the changer has its own copy');
    assert.deepEqual(await bytesSeen([true, true]), [undefined, undefined]);
  });
});

describe('exporter fan-out: an optional exporter', () => {
  it('never fails the request; its refusals are all counted and logged at most once per interval', async () => {
    const logger = createMemoryLogger();
    const telemetry = new Telemetry();
    const fanout = new ExporterFanout(
      'logs',
      [
        { id: 'jsonl', consumer: { consume: () => Promise.resolve() }, optional: false },
        { id: 'loki', consumer: queueFull, optional: true },
      ],
      logger,
      telemetry,
    );
    for (let i = 0; i < 5; i++) await fanout.consume(makeLogs(i, 3), {});
    const scrape = await telemetry.scrape();
    assert.equal(sample(scrape, 'sluice_optional_exporter_refused_log_records_total', 'exporter="loki"'), 15);
    const warnings = logger.lines.filter((line) => line.message === 'optional exporter refused data; dropped');
    assert.equal(warnings.length, 1, 'five refusals in a burst: one warning');
    assert.equal(warnings[0]!.fields['records'], 3);
  });
});

describe('metrics fan-out: which refusal the sender hears', () => {
  it('waits for every consumer and reports a retryable refusal over a permanent one, whatever the order', async () => {
    const permanent = { consumeMetrics: () => Promise.reject(permanentError('SLUICE_BAD_DATA', 'bad point')) };
    const retryable = { consumeMetrics: () => Promise.reject(retryableError('SLUICE_QUEUE_FULL', 'full')) };
    for (const consumers of [
      [permanent, retryable],
      [retryable, permanent],
    ]) {
      const refusal = await new MetricsFanout(consumers).consumeMetrics({ resourceMetrics: [] }).then(
        () => 'accepted',
        (err: ConsumeError) => err.code,
      );
      assert.equal(refusal, 'SLUICE_QUEUE_FULL');
    }
  });
});
