import assert from 'node:assert/strict';
import { ConsumeError, permanentError, retryableError } from '@sluice/pdata';
import type { LogsConsumer } from '../src/component';
import { createMemoryLogger } from '../src/logger';
import { PipelineFanout } from '../src/pipeline/fanout';
import { makeLogs } from './exporterhelper-helpers';

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
