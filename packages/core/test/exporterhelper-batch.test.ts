import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConsumeError, decodeLogsProto, sizeLogsProto } from '@sluice/pdata';
import type { LogsData } from '@sluice/pdata';
import { fileStorageExtensionFactory } from '../src/extensions/file-storage';
import { createQueuedExporter } from '../src/exporterhelper/queued-exporter';
import { joinFragments, otlpProtoQueueForm } from '../src/exporterhelper/queue-form';
import type { QueueForm } from '../src/exporterhelper/queue-form';
import { ByteArena } from '../src/exporterhelper/byte-arena';
import type { SendOutcome } from '../src/exporterhelper/send-outcome';
import { gate, helperConfig, hostWith, instantClock, makeLogs, testSettings, waitFor } from './exporterhelper-helpers';

/** Every record body of a batch, in order. */
function bodies(logs: LogsData): string[] {
  return logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body as string)));
}

/** A queued exporter that records each batch it sends; sends wait at `hold` while it is closed. */
async function batchingExporter(queue: Record<string, unknown>, options: { storage?: string; host?: ReturnType<typeof hostWith> } = {}) {
  const { settings, logger } = testSettings();
  const batches: string[][] = [];
  const sizes: number[] = [];
  let hold: { promise: Promise<void>; open(): void } | undefined;
  const exporter = createQueuedExporter({
    settings,
    config: helperConfig({ sending_queue: queue, retry_on_failure: { initial_interval: '1ms' } }),
    encode: (logs: LogsData) => logs,
    send: async (logs: LogsData): Promise<SendOutcome> => {
      if (hold) await hold.promise;
      batches.push(bodies(logs));
      sizes.push(sizeLogsProto(logs));
      return { ok: true };
    },
    clock: instantClock(),
  });
  await exporter.start(options.host ?? hostWith());
  return {
    exporter,
    logger,
    batches,
    sizes,
    holdSends: () => (hold = gate()),
    releaseSends: () => hold?.open(),
  };
}

describe('exporter helper: batching behind the queue (sending_queue.batch)', () => {
  it('acknowledges on enqueue: consume resolves long before the batch could fill or time out', async () => {
    const t = await batchingExporter({ batch: { min_size: 1_000_000, flush_timeout: '1h' } });
    for (let i = 0; i < 5; i++) await t.exporter.consume(makeLogs(i, 10), {});
    assert.equal(t.batches.length, 0, 'nothing sent: the batch is neither full nor timed out');
    await t.exporter.shutdown();
    assert.equal(t.batches.length, 1, 'shutdown sends the partial batch at once, without waiting an hour');
    assert.equal(t.batches[0]!.length, 50);
  });

  it('flush_timeout sends a lone small batch', async () => {
    const t = await batchingExporter({ batch: { min_size: 1_000_000, flush_timeout: '20ms' } });
    await t.exporter.consume(makeLogs(7, 3), {});
    await waitFor(() => t.batches.length === 1, 'the timed-out batch');
    assert.deepEqual(
      t.batches[0]!.map((b) => b.slice(0, 16)),
      ['batch 7 record 0', 'batch 7 record 1', 'batch 7 record 2'],
    );
    await t.exporter.shutdown();
  });

  it('merges queued requests until min_size, in order, into one send', async () => {
    const t = await batchingExporter({ num_consumers: 1, batch: { min_size: 30, flush_timeout: '1h' } });
    for (let i = 0; i < 6; i++) await t.exporter.consume(makeLogs(i, 10), {});
    await waitFor(() => t.batches.length === 2, 'two batches of 30');
    assert.deepEqual(
      t.batches.map((b) => b.length),
      [30, 30],
    );
    const order = t.batches.flat().map((b) => b.slice(0, 17));
    assert.equal(order[0], 'batch 0 record 0 ');
    assert.equal(order[59], 'batch 5 record 9 ');
    assert.equal(t.exporter.health().entries_sent, 60);
    assert.equal(t.exporter.health().batches_sent, 2);
    await t.exporter.shutdown();
  });

  it('max_size (items) splits batches exactly at the cap, keeping every record once and in order', async () => {
    const t = await batchingExporter({ num_consumers: 1, batch: { min_size: 10, max_size: 10, flush_timeout: '1h' } });
    t.holdSends();
    await t.exporter.consume(makeLogs(0, 25), {});
    await t.exporter.consume(makeLogs(1, 7), {});
    t.releaseSends();
    await t.exporter.shutdown();
    assert.deepEqual(
      t.batches.map((b) => b.length),
      [10, 10, 10, 2],
    );
    const all = t.batches.flat();
    assert.equal(new Set(all).size, 32, 'no record twice');
    assert.match(all[24]!, /^batch 0 record 24 /);
    assert.match(all[25]!, /^batch 1 record 0 /);
  });

  it('max_size (bytes) keeps batches under the cap, cutting a request that is bigger than the cap alone', async () => {
    const one = sizeLogsProto(makeLogs(0, 1, 100));
    const cap = one * 4;
    const t = await batchingExporter({ num_consumers: 1, batch: { sizer: 'bytes', min_size: cap, max_size: cap, flush_timeout: '1h' } });
    t.holdSends();
    await t.exporter.consume(makeLogs(0, 3, 100), {});
    await t.exporter.consume(makeLogs(1, 3, 100), {});
    await t.exporter.consume(makeLogs(2, 20, 100), {});
    t.releaseSends();
    await t.exporter.shutdown();
    const sizes = t.batches.map((b) => b.length);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      26,
    );
    for (const size of t.sizes) assert.ok(size <= cap, `a batch of ${size} bytes is over the ${cap}-byte cap`);
    assert.ok(t.batches.length >= 26 / 4, 'the big request was cut');
    assert.deepEqual(sizes.slice(0, 2), [3, 3], 'whole requests are not cut when the next one does not fit');
  });

  it('max_size (bytes): a single record over the cap goes alone, with no empty request after it', async () => {
    // otlp and otlphttp now batch by bytes (4 MiB cap) by default, so any one-record request over the cap takes this path.
    const cap = sizeLogsProto(makeLogs(0, 1, 100));
    const t = await batchingExporter({ num_consumers: 1, batch: { sizer: 'bytes', min_size: cap, max_size: cap, flush_timeout: '20ms' } });
    await t.exporter.consume(makeLogs(0, 1, 5 * cap), {});
    await waitFor(() => t.batches.length >= 1, 'the oversized record');
    await new Promise((resolve) => setTimeout(resolve, 100)); // several flush_timeouts: room for a stray batch
    await t.exporter.shutdown();
    assert.deepEqual(
      t.batches.map((b) => b.length),
      [1],
      'one send of the record; an empty send of the zero-record rest of the cut is a request the destination never needed',
    );
    assert.equal(t.exporter.health().batches_sent, 1);
  });

  it('with a persistent queue, forgets a cut request only when every part of it was sent', async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-batch-'));
    try {
      const storage = fileStorageExtensionFactory.create(
        testSettings('file_storage').settings,
        fileStorageExtensionFactory.configSchema.parse({ directory }),
      );
      const host = hostWith({ file_storage: storage });
      await storage.start(host);
      const queue = { storage: 'file_storage', num_consumers: 1, batch: { min_size: 10, max_size: 10, flush_timeout: '10ms' } };

      // First run: the send after the first part fails for good at shutdown, so part of the request is unsent.
      const { settings } = testSettings();
      let sends = 0;
      const first = createQueuedExporter({
        settings,
        config: helperConfig({ sending_queue: queue, retry_on_failure: { initial_interval: '1h', max_elapsed_time: 0 } }),
        encode: (logs: LogsData) => logs,
        send: (): Promise<SendOutcome> => Promise.resolve(sends++ === 0 ? { ok: true } : { ok: false, retryable: true, reason: 'down' }),
      });
      await first.start(host);
      await first.consume(makeLogs(0, 15), {});
      await waitFor(() => sends === 2, 'the first part sent and the second part failing');
      await first.shutdown();

      // Second run: the whole request is still on disk (at least once), so nothing is lost.
      const second = await batchingExporter({ ...queue, batch: { min_size: 100, flush_timeout: '10ms' } }, { host });
      await waitFor(() => second.batches.flat().length === 15, 'the request resent after restart');
      await second.exporter.shutdown();
    } finally {
      await fs.rm(directory, { recursive: true, force: true });
    }
  });

  it('shows queue-full refusals in health (entries_refused) and in the log, rate-limited', async () => {
    const t = await batchingExporter({ num_consumers: 1, queue_size: 10, sizer: 'items' });
    t.holdSends();
    await t.exporter.consume(makeLogs(0, 10), {});
    await waitFor(() => t.exporter.health().queue_length === 0, 'the consumer to take the first request');
    await t.exporter.consume(makeLogs(1, 10), {});
    const refusals: unknown[] = [];
    for (let i = 2; i < 6; i++) await t.exporter.consume(makeLogs(i, 10), {}).catch((err: unknown) => refusals.push(err));
    assert.equal(refusals.length, 4);
    assert.ok(refusals.every((err) => err instanceof ConsumeError && err.code === 'SLUICE_QUEUE_FULL' && err.retryable));
    const health = t.exporter.health();
    assert.equal(health.entries_refused, 40);
    assert.match(health.last_error ?? '', /sending queue .* is full/);
    const warnings = t.logger.lines.filter((r) => r.message.startsWith('refusing log records'));
    assert.equal(warnings.length, 1, 'one warning for a burst of refusals');
    assert.equal(warnings[0]!.fields['code'], 'SLUICE_QUEUE_FULL');
    t.releaseSends();
    await t.exporter.shutdown();
  });
});

describe('exporter helper: the queue form gets every item back (QueueForm.release)', () => {
  /** A form that tags items with ids and records what is released, and an exporter using it. */
  async function releasingExporter(queue: Record<string, unknown>, encodeThrows = false) {
    const { settings } = testSettings();
    const released: number[][] = [];
    const encoded: number[][] = [];
    let next = 0;
    let hold = gate();
    const form: QueueForm<{ ids: number[] }> = {
      prepare: () => ({ ids: [next++] }),
      merge: (items) => ({ ids: items.flatMap((item) => item.ids) }),
      bytes: () => 100,
      release: (item) => released.push(item.ids),
    };
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ sending_queue: queue, retry_on_failure: { initial_interval: '1ms' } }),
      form,
      encode: async (item: { ids: number[] }) => {
        await hold.promise;
        if (encodeThrows) throw new Error('a bug');
        encoded.push(item.ids);
        return item.ids;
      },
      send: (): Promise<SendOutcome> => Promise.resolve({ ok: true }),
      clock: instantClock(),
    });
    await exporter.start(hostWith());
    return { exporter, released, encoded, open: () => hold.open(), close: () => (hold = gate()) };
  }

  it('releases each batch once its encode is done, and never before', async () => {
    const t = await releasingExporter({
      num_consumers: 1,
      sizer: 'requests',
      queue_size: 100,
      batch: { min_size: 3, flush_timeout: '1h' },
    });
    for (let i = 0; i < 6; i++) await t.exporter.consume(makeLogs(i, 1), {});
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(t.released, [], 'nothing released while the encode still reads the batch');
    t.open();
    await waitFor(() => t.released.length === 2, 'both batches released');
    assert.deepEqual(t.encoded, [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(t.released, t.encoded, 'each merged batch released once, as encoded');
    await t.exporter.shutdown();
  });

  it('releases a request the full queue refused, and a batch whose encode threw', async () => {
    const t = await releasingExporter({ num_consumers: 1, sizer: 'requests', queue_size: 1 }, true);
    await t.exporter.consume(makeLogs(0, 1), {});
    await waitFor(() => t.exporter.health().queue_length === 0, 'the consumer took the first request');
    await t.exporter.consume(makeLogs(1, 1), {});
    await assert.rejects(
      t.exporter.consume(makeLogs(2, 1), {}),
      (err: unknown) => err instanceof ConsumeError && err.code === 'SLUICE_QUEUE_FULL',
    );
    assert.deepEqual(t.released, [[2]], 'the refused request is released at once');
    t.open();
    await waitFor(() => t.released.length === 3, 'the batches whose encode threw released too');
    assert.deepEqual(t.released.slice(1), [[0], [1]]);
    await t.exporter.shutdown();
  });

  it('releases a payload once its last attempt ended, after the retries', async () => {
    const { settings } = testSettings();
    const attempts: string[] = [];
    const payloadsReleased: string[] = [];
    let failures = 2;
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '1ms' } }),
      encode: (logs: LogsData) => bodies(logs).join(','),
      send: (payload: string): Promise<SendOutcome> => {
        attempts.push(payload);
        assert.deepEqual(payloadsReleased, [], 'not released while attempts remain');
        return Promise.resolve(failures-- > 0 ? { ok: false, retryable: true, reason: 'busy' } : { ok: true });
      },
      releasePayload: (payload) => payloadsReleased.push(payload),
      clock: instantClock(),
    });
    await exporter.start(hostWith());
    await exporter.consume(makeLogs(4, 1, 0), {});
    assert.equal(attempts.length, 3);
    assert.deepEqual(payloadsReleased, ['batch 4 record 0 ']);
    await exporter.shutdown();
  });
});

describe('exporter helper: arena memory of the OTLP queue form comes back (ByteArena)', () => {
  /** An arena that knows which of its slices are out, and refuses a slice given back twice. */
  class CountingArena extends ByteArena {
    readonly out = new Set<Buffer>();
    readonly doubles: number[] = [];
    private readonly memory = new WeakSet<ArrayBufferLike>();
    override take(size: number): Buffer {
      const slice = super.take(size);
      this.out.add(slice);
      this.memory.add(slice.buffer);
      return slice;
    }
    override giveBack(slice: Uint8Array): void {
      // Memory the arena never gave out (a split's fresh encoding) is ignored, as the arena ignores it.
      if (!this.out.delete(slice as Buffer) && this.memory.has(slice.buffer)) this.doubles.push(slice.byteLength);
      super.giveBack(slice);
    }
  }

  /** The OTLP exporters' use of the form: fragments queued, each batch joined into a payload, both in the arena. */
  async function arenaExporter(queue: Record<string, unknown>) {
    const { settings } = testSettings();
    const arena = new CountingArena(64 * 1024, 1);
    const sent: string[] = [];
    const exporter = createQueuedExporter<Buffer, Buffer[]>({
      settings,
      config: helperConfig({ sending_queue: queue, retry_on_failure: { initial_interval: '1ms' } }),
      form: otlpProtoQueueForm(arena),
      usesWireBytes: true,
      encode: (fragments) => joinFragments(fragments, arena),
      releasePayload: (payload) => arena.giveBack(payload),
      send: (payload: Buffer): Promise<SendOutcome> => {
        sent.push(...bodies(decodeLogsProto(payload)));
        return Promise.resolve({ ok: true });
      },
      clock: instantClock(),
    });
    await exporter.start(hostWith());
    return { exporter, arena, sent };
  }

  for (const batch of [
    { sizer: 'items', min_size: 4, max_size: 4, flush_timeout: '1ms' },
    { sizer: 'bytes', min_size: 300, max_size: 300, flush_timeout: '1ms' },
  ]) {
    it(`gives back the fragments of a request cut at max_size (${batch.sizer} sizer)`, async () => {
      const t = await arenaExporter({ num_consumers: 1, batch });
      for (let i = 0; i < 5; i++) await t.exporter.consume(makeLogs(i, 10), {});
      await waitFor(() => t.sent.length === 50, 'every record sent');
      await t.exporter.shutdown();
      assert.deepEqual(t.arena.doubles, [], 'no slice given back twice');
      assert.equal(t.arena.out.size, 0, 'every slice taken is given back');
    });
  }
});

describe('exporter helper: a payload goes back only once no attempt reads it (releasePayload)', () => {
  it('waits for an attempt that outlived its timeout (as a load balancer re-routing the batch does) before releasing', async () => {
    // The load balancer's hook decodes the payload after the backend's answer, which comes after
    // the abort; the helper gives up on an attempt at its timeout without waiting for it.
    const { settings } = testSettings();
    const late = gate();
    const events: string[] = [];
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ timeout: '20ms', sending_queue: { enabled: false }, retry_on_failure: { enabled: false } }),
      encode: (logs: LogsData) => bodies(logs).join(','),
      send: async (payload: string): Promise<SendOutcome> => {
        await late.promise;
        events.push(`read ${payload}`);
        return { ok: false, retryable: true, reason: 'cancelled' };
      },
      releasePayload: (payload) => events.push(`released ${payload}`),
    });
    await exporter.start(hostWith());
    await assert.rejects(exporter.consume(makeLogs(1, 1, 0), {}), /timed out/);
    late.open();
    await waitFor(() => events.length === 2, 'the late attempt and the release');
    assert.deepEqual(events, ['read batch 1 record 0 ', 'released batch 1 record 0 ']);
    await exporter.shutdown();
  });
});
