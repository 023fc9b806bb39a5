import assert from 'node:assert/strict';
import { ConsumeError, encodeLogsProto } from '@sluice/pdata';
import { createQueuedExporter } from '../src/exporterhelper/queued-exporter';
import { DEFAULT_QUEUE_BYTES } from '../src/exporterhelper/config';
import { modelQueueForm } from '../src/exporterhelper/queue-form';
import type { SendOutcome } from '../src/exporterhelper/send-outcome';
import type { LogsData } from '@sluice/pdata';
import { batchOf, gate, helperConfig, hostWith, instantClock, makeLogs, sample, testSettings, waitFor } from './exporterhelper-helpers';

/**
 * A queued exporter whose sends wait at a gate the test opens; it records what was sent, how many
 * ran at once, and how many requests its queue form prepared.
 */
async function gatedExporter(queue: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { settings, logger, telemetry } = testSettings();
  let sendGate = gate();
  const sent: number[] = [];
  const state = { running: 0, maxRunning: 0, calls: 0, encodes: 0, prepares: 0 };
  const exporter = createQueuedExporter({
    settings,
    config: helperConfig({ sending_queue: queue, retry_on_failure: { initial_interval: '1ms' }, ...extra }),
    form: {
      ...modelQueueForm,
      prepare: (logs: LogsData) => {
        state.prepares++;
        return logs;
      },
    },
    encode: (logs: LogsData) => {
      state.encodes++;
      return logs;
    },
    send: async (logs: LogsData, signal: AbortSignal): Promise<SendOutcome> => {
      state.calls++;
      state.running++;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      const aborted = new Promise<'aborted'>((resolve) => signal.addEventListener('abort', () => resolve('aborted')));
      const result = await Promise.race([sendGate.promise, aborted]);
      state.running--;
      if (result === 'aborted') return { ok: false, retryable: true, reason: 'aborted' };
      sent.push(batchOf(logs));
      return { ok: true };
    },
    clock: instantClock(),
  });
  await exporter.start(hostWith());
  return {
    exporter,
    logger,
    telemetry,
    sent,
    state,
    open: () => sendGate.open(),
    close: () => (sendGate = gate()),
  };
}

const isQueueFull = (err: unknown) => err instanceof ConsumeError && err.code === 'SLUICE_QUEUE_FULL' && err.retryable;

describe('exporter helper: sending queue', () => {
  it('resolves consume on enqueue, before the send, and sends every batch', async () => {
    const t = await gatedExporter({ num_consumers: 2, queue_size: 10 });
    for (let i = 0; i < 5; i++) await t.exporter.consume(makeLogs(i), {});
    assert.equal(t.sent.length, 0);
    t.open();
    await waitFor(() => t.sent.length === 5, 'all batches sent');
    assert.deepEqual([...t.sent].sort(), [0, 1, 2, 3, 4]);
    const health = t.exporter.health();
    assert.equal(health.batches_sent, 5);
    assert.equal(health.entries_sent, 5);
    assert.equal(health.status, 'ok');
    await t.exporter.shutdown();
  });

  it('queues the data as consumed and encodes a batch only when a consumer takes it to send', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 10 });
    for (let i = 0; i < 3; i++) await t.exporter.consume(makeLogs(i), {});
    await waitFor(() => t.state.running === 1, 'the first send');
    assert.equal(t.state.encodes, 1, 'the two batches still queued are not encoded');
    t.open();
    await waitFor(() => t.sent.length === 3, 'all sent');
    assert.equal(t.state.encodes, 3);
    await t.exporter.shutdown();
  });

  it('refuses with a retryable SLUICE_QUEUE_FULL when full (sizer requests) and counts enqueue_failed', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 2 });
    await t.exporter.consume(makeLogs(0, 3), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(1, 3), {});
    await t.exporter.consume(makeLogs(2, 3), {});
    await assert.rejects(t.exporter.consume(makeLogs(3, 3), {}), isQueueFull);
    const scrape = await t.telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_enqueue_failed_log_records_total', 'exporter="loki"'), 3);
    assert.equal(sample(scrape, 'otelcol_exporter_queue_size', 'exporter="loki"'), 2);
    assert.equal(sample(scrape, 'otelcol_exporter_queue_capacity', 'data_type="logs"'), 2);
    assert.equal(t.exporter.health().status, 'degraded');
    // Nothing already accepted is lost.
    t.open();
    await waitFor(() => t.sent.length === 3, 'accepted batches sent');
    assert.deepEqual([...t.sent].sort(), [0, 1, 2]);
    await t.exporter.shutdown();
  });

  it('measures queue_size in log records with sizer items', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 10, sizer: 'items' });
    await t.exporter.consume(makeLogs(0, 4), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(1, 4), {});
    await t.exporter.consume(makeLogs(2, 4), {}); // 8 of 10
    await t.exporter.consume(makeLogs(4, 2), {}); // exactly 10
    await assert.rejects(t.exporter.consume(makeLogs(3, 4), {}), isQueueFull); // 14 > 10
    const scrape = await t.telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_enqueue_failed_log_records_total', 'exporter="loki"'), 4);
    assert.equal(sample(scrape, 'otelcol_exporter_queue_size', 'exporter="loki"'), 10);
    t.open();
    await waitFor(() => t.sent.length === 4, 'accepted batches sent');
    await t.exporter.shutdown();
  });

  it('measures queue_size in OTLP protobuf bytes with sizer bytes', async () => {
    const batch = makeLogs(0, 4);
    const bytes = encodeLogsProto(batch).length;
    const t = await gatedExporter({ num_consumers: 1, queue_size: 2 * bytes, sizer: 'bytes' });
    await t.exporter.consume(makeLogs(0, 4), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(0, 4), {});
    await t.exporter.consume(makeLogs(0, 4), {}); // exactly 2 × bytes
    await assert.rejects(t.exporter.consume(makeLogs(0, 1), {}), isQueueFull);
    const scrape = await t.telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_queue_size', 'exporter="loki"'), 2 * bytes);
    t.open();
    await waitFor(() => t.sent.length === 3, 'accepted batches sent');
    await t.exporter.shutdown();
  });

  it('refuses without preparing the request while the queue is full for a larger one it refused', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 10, sizer: 'items' });
    await t.exporter.consume(makeLogs(0, 10), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(1, 8), {});
    await assert.rejects(t.exporter.consume(makeLogs(2, 4), {}), isQueueFull); // 12 > 10: the queue waits for 4 free
    assert.equal(t.state.prepares, 3, 'this refusal came after the request was prepared and measured');
    await assert.rejects(t.exporter.consume(makeLogs(3, 1), {}), isQueueFull); // would fit, but 4 wait first
    assert.equal(t.state.prepares, 3, 'refused before prepare');
    const scrape = await t.telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_enqueue_failed_log_records_total', 'exporter="loki"'), 5);
    assert.equal(t.exporter.health().entries_refused, 5);
    assert.match(t.exporter.health().last_error ?? '', /sending queue of exporter loki is full \(queue_size 10 items\)/);
    // Once the consumer takes the queued batch, the larger request gets in first.
    t.open();
    await waitFor(() => t.sent.length === 2, 'the accepted batches sent');
    await t.exporter.consume(makeLogs(2, 4), {});
    await waitFor(() => t.sent.length === 3, 'the retried request sent');
    assert.deepEqual(t.sent, [0, 1, 2]);
    await t.exporter.shutdown();
  });

  it('with block_on_overflow, a small request waits in line behind a larger one rather than being refused', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 10, sizer: 'items', block_on_overflow: true });
    await t.exporter.consume(makeLogs(0, 10), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(1, 8), {});
    const accepted: number[] = [];
    const large = t.exporter.consume(makeLogs(2, 4), {}).then(() => accepted.push(2));
    const small = t.exporter.consume(makeLogs(3, 1), {}).then(() => accepted.push(3));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(accepted, [], 'both wait for room');
    t.open();
    await Promise.all([large, small]);
    assert.deepEqual(accepted, [2, 3], 'in the order they came');
    await waitFor(() => t.sent.length === 4, 'all sent');
    await t.exporter.shutdown();
  });

  it('waits for room with block_on_overflow', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 1, block_on_overflow: true });
    await t.exporter.consume(makeLogs(0), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(1), {});
    let thirdAccepted = false;
    const third = t.exporter.consume(makeLogs(2), {}).then(() => (thirdAccepted = true));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(thirdAccepted, false, 'the third consume waits while the queue is full');
    t.open();
    await third;
    await waitFor(() => t.sent.length === 3, 'all sent');
    await t.exporter.shutdown();
  });

  it('refuses a blocked consume when shutdown begins', async () => {
    const t = await gatedExporter({ num_consumers: 1, queue_size: 1, block_on_overflow: true });
    await t.exporter.consume(makeLogs(0), {});
    await waitFor(() => t.state.running === 1, 'the consumer to take the first batch');
    await t.exporter.consume(makeLogs(1), {});
    const blocked = t.exporter.consume(makeLogs(2), {});
    const shutdown = t.exporter.shutdown(AbortSignal.timeout(5_000));
    await assert.rejects(blocked, (err: ConsumeError) => err.code === 'SLUICE_SHUTTING_DOWN' && err.retryable);
    t.open();
    await shutdown;
    assert.deepEqual([...t.sent].sort(), [0, 1]);
  });

  it('runs num_consumers sends in parallel, never more', async () => {
    const t = await gatedExporter({ num_consumers: 3, queue_size: 100 });
    for (let i = 0; i < 8; i++) await t.exporter.consume(makeLogs(i), {});
    await waitFor(() => t.state.running === 3, 'three sends in flight');
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(t.state.maxRunning, 3);
    t.open();
    await waitFor(() => t.sent.length === 8, 'all sent');
    assert.equal(t.state.maxRunning, 3);
    await t.exporter.shutdown();
  });

  it('drains the queue on shutdown before the deadline', async () => {
    const t = await gatedExporter({ num_consumers: 2, queue_size: 100 });
    for (let i = 0; i < 6; i++) await t.exporter.consume(makeLogs(i, 2), {});
    const shutdown = t.exporter.shutdown(AbortSignal.timeout(10_000));
    await assert.rejects(t.exporter.consume(makeLogs(99), {}), (err: ConsumeError) => err.code === 'SLUICE_SHUTTING_DOWN');
    t.open();
    await shutdown;
    assert.equal(t.sent.length, 6);
    assert.equal(t.exporter.health().status, 'stopped');
    assert.equal(t.logger.lines.filter((line) => line.level === 'warn').length, 0);
    assert.equal(t.exporter.shutdown(), t.exporter.shutdown(), 'shutdown is idempotent');
  });

  it('at the deadline, aborts sends and counts and logs what the memory queue lost', async () => {
    const t = await gatedExporter(
      { num_consumers: 1, queue_size: 100 },
      { retry_on_failure: { initial_interval: '1ms', max_elapsed_time: 0 } },
    );
    for (let i = 0; i < 4; i++) await t.exporter.consume(makeLogs(i, 5), {});
    await waitFor(() => t.state.running === 1, 'a send in flight');
    await t.exporter.shutdown(AbortSignal.timeout(30));
    assert.equal(t.sent.length, 0);
    const warning = t.logger.lines.find((line) => line.level === 'warn');
    assert.equal(warning?.fields.lost_records, 20);
    const scrape = await t.telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_send_failed_log_records_total', 'exporter="loki"'), 20);
    assert.equal(t.exporter.health().entries_failed, 20);
    assert.equal(t.state.running, 0);
  });

  it('exposes every exporter metric family in the scrape', async () => {
    const t = await gatedExporter({});
    await t.exporter.consume(makeLogs(0), {});
    t.open();
    await waitFor(() => t.sent.length === 1, 'sent');
    const scrape = await t.telemetry.scrape();
    for (const name of [
      'otelcol_exporter_queue_size',
      'otelcol_exporter_queue_capacity',
      'otelcol_exporter_enqueue_failed_log_records_total',
      'otelcol_exporter_sent_log_records_total',
      'otelcol_exporter_send_failed_log_records_total',
      'sluice_exporter_dropped_log_records_total',
      'sluice_exporter_send_duration_seconds',
    ]) {
      assert.match(scrape, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.equal(sample(scrape, 'otelcol_exporter_queue_capacity', 'exporter="loki"'), DEFAULT_QUEUE_BYTES);
    assert.equal(sample(scrape, 'otelcol_exporter_sent_log_records_total', 'exporter="loki"'), 1);
    await t.exporter.shutdown();
  });
});
