import assert from 'node:assert/strict';
import { z } from 'zod';
import { DEFAULT_QUEUE_BYTES, exporterHelperShape, exporterHelperUnsupportedKeys } from '../src/exporterhelper/config';
import type { ExporterHelperConfig } from '../src/exporterhelper/config';
import { section } from '../src/config/schema';

const schema = section({ endpoint: z.string().default('http://127.0.0.1:3100'), ...exporterHelperShape() });

describe('exporter helper: config', () => {
  it('applies otelcol exporterhelper defaults', () => {
    const parsed = schema.parse(null);
    // Typed as the helper's config: this line fails to compile if the schema and the interface drift.
    const config: ExporterHelperConfig = parsed;
    assert.deepEqual(config, {
      endpoint: 'http://127.0.0.1:3100',
      timeout: 5000,
      retry_on_failure: {
        enabled: true,
        initial_interval: 5000,
        max_interval: 30_000,
        multiplier: 1.5,
        randomization_factor: 0.5,
        max_elapsed_time: 300_000,
      },
      sending_queue: { enabled: true, num_consumers: 10, queue_size: DEFAULT_QUEUE_BYTES, sizer: 'bytes', block_on_overflow: false },
    });
  });

  it("keeps otelcol's meaning of a queue_size given alone (requests), and defaults each sizer's size", () => {
    const queue = (sending_queue: Record<string, unknown>) => schema.parse({ sending_queue }).sending_queue;
    assert.deepEqual([queue({ queue_size: 500 }).sizer, queue({ queue_size: 500 }).queue_size], ['requests', 500]);
    assert.deepEqual([queue({ sizer: 'requests' }).sizer, queue({ sizer: 'requests' }).queue_size], ['requests', 1000]);
    assert.deepEqual([queue({ sizer: 'items' }).sizer, queue({ sizer: 'items' }).queue_size], ['items', 1000]);
    assert.deepEqual([queue({ sizer: 'bytes' }).sizer, queue({ sizer: 'bytes' }).queue_size], ['bytes', DEFAULT_QUEUE_BYTES]);
    assert.deepEqual(
      [queue({ sizer: 'bytes', queue_size: 4096 }).sizer, queue({ sizer: 'bytes', queue_size: 4096 }).queue_size],
      ['bytes', 4096],
    );
  });

  it('reads the llm-proxy profile: items queue, 100ms..10s retries, ±25% jitter', () => {
    const config = schema.parse({
      retry_on_failure: { initial_interval: '100ms', max_interval: '10s', randomization_factor: 0.25 },
      sending_queue: { queue_size: 10_000, sizer: 'items', storage: 'file_storage/loki' },
    });
    assert.equal(config.retry_on_failure.initial_interval, 100);
    assert.equal(config.retry_on_failure.max_interval, 10_000);
    assert.equal(config.sending_queue.sizer, 'items');
    assert.equal(config.sending_queue.storage, 'file_storage/loki');
  });

  it('refuses an unknown sizer, typos and out-of-range values with a clear message', () => {
    const sizer = schema.safeParse({ sending_queue: { sizer: 'megabytes' } });
    assert.equal(sizer.success, false);
    assert.match(sizer.error.issues[0]!.message, /'requests' \| 'items' \| 'bytes'/);
    assert.deepEqual(sizer.error.issues[0]!.path, ['sending_queue', 'sizer']);

    const typo = schema.safeParse({ retry_on_failure: { initial_intreval: '1s' } });
    assert.equal(typo.success, false);
    assert.equal(typo.error.issues[0]!.code, 'unrecognized_keys');

    assert.equal(schema.safeParse({ retry_on_failure: { randomization_factor: 1.5 } }).success, false);
    assert.equal(schema.safeParse({ sending_queue: { num_consumers: 0 } }).success, false);
    assert.equal(schema.safeParse({ timeout: 5 }).success, false);
  });

  it("reads sending_queue.batch with otelcol's defaults, or the exporter's own when absent", () => {
    const otelcolDefaults = { flush_timeout: 200, min_size: 8192, max_size: 0, sizer: 'items' };
    assert.equal(schema.parse({}).sending_queue.batch, undefined, 'no batching unless asked');
    assert.deepEqual(schema.parse({ sending_queue: { batch: null } }).sending_queue.batch, otelcolDefaults);
    assert.deepEqual(schema.parse({ sending_queue: { batch: {} } }).sending_queue.batch, otelcolDefaults);
    assert.deepEqual(
      schema.parse({ sending_queue: { batch: { flush_timeout: '1s', min_size: 1000, max_size: 2000 } } }).sending_queue.batch,
      {
        flush_timeout: 1000,
        min_size: 1000,
        max_size: 2000,
        sizer: 'items',
      },
    );

    const lokiLike = { flush_timeout: 1000, min_size: 1 << 20, max_size: 0, sizer: 'bytes' as const };
    const withDefault = section({ ...exporterHelperShape({ batch: lokiLike }) });
    assert.deepEqual(withDefault.parse({}).sending_queue.batch, lokiLike);
    assert.deepEqual(withDefault.parse({ sending_queue: { queue_size: 10 } }).sending_queue.batch, lokiLike);
    assert.equal(withDefault.parse({ sending_queue: { batch: { min_size: 5 } } }).sending_queue.batch?.min_size, 5);
  });

  it('refuses a batch config that cannot work, naming the key', () => {
    const issue = (batch: Record<string, unknown>) => {
      const result = schema.safeParse({ sending_queue: { batch } });
      assert.equal(result.success, false, JSON.stringify(batch));
      return { path: result.error.issues[0]!.path.join('.'), message: result.error.issues[0]!.message };
    };
    assert.deepEqual(issue({ min_size: 100, max_size: 10 }), {
      path: 'sending_queue.batch.max_size',
      message: 'must be 0 (no cap) or at least min_size',
    });
    assert.equal(issue({ sizer: 'requests' }).path, 'sending_queue.batch.sizer');
    assert.equal(issue({ flush_timeout: '0s' }).path, 'sending_queue.batch.flush_timeout');
    assert.equal(issue({ min_sise: 1 }).path, 'sending_queue.batch');
  });

  it('lists the otelcol keys it does not implement', () => {
    assert.equal(exporterHelperUnsupportedKeys.batcher.effect, 'ignore');
    assert.equal(exporterHelperUnsupportedKeys['sending_queue.wait_for_result'].effect, 'error');
  });
});
