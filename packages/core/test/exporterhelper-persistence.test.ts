import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ConsumeError, SluiceError, decodeLogsProto } from '@sluice/pdata';
import { createQueuedExporter } from '../src/exporterhelper/queued-exporter';
import type { QueuedExporter } from '../src/exporterhelper/queued-exporter';
import type { SendOutcome } from '../src/exporterhelper/send-outcome';
import { fileStorageExtensionFactory } from '../src/extensions/file-storage';
import type { LogsData } from '@sluice/pdata';
import { batchOf, gate, helperConfig, hostWith, makeLogs, sample, testSettings, waitFor } from './exporterhelper-helpers';

const down = (_logs: LogsData, signal: AbortSignal) =>
  new Promise<SendOutcome>((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, retryable: true, reason: 'down' })));

describe('exporter helper: persistent queue', () => {
  let dir: string;
  const running: QueuedExporter[] = [];

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-queue-'));
  });

  afterEach(async () => {
    for (const exporter of running.splice(0)) {
      await exporter.shutdown(AbortSignal.abort());
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** An exporter on a file_storage queue in `dir`; `send` defaults to a destination that is down. */
  async function open(
    options: {
      send?: (logs: LogsData, signal: AbortSignal) => Promise<SendOutcome>;
      maxSizeMib?: number;
      queue?: Record<string, unknown>;
    } = {},
  ) {
    const storage = fileStorageExtensionFactory.create(
      testSettings('file_storage').settings,
      fileStorageExtensionFactory.configSchema.parse({ directory: dir, max_size_mib: options.maxSizeMib ?? 0 }),
    );
    const host = hostWith({ 'file_storage/queue': storage });
    await storage.start(host);
    const { settings, logger, telemetry } = testSettings();
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({
        sending_queue: { storage: 'file_storage/queue', num_consumers: 2, ...options.queue },
        retry_on_failure: { initial_interval: '1ms' },
      }),
      encode: (logs: LogsData) => logs,
      send: options.send ?? down,
    });
    await exporter.start(host);
    running.push(exporter);
    return { exporter, logger, telemetry };
  }

  /** A destination that records what arrives, by batch number. */
  function collector() {
    const received = new Map<number, LogsData>();
    return {
      received,
      send: (logs: LogsData): Promise<SendOutcome> => {
        // The model as decoded (a batch read back from disk decodes on first read).
        received.set(batchOf(logs), { resourceLogs: logs.resourceLogs });
        return Promise.resolve({ ok: true });
      },
    };
  }

  async function segmentFiles(): Promise<string[]> {
    const queueDir = path.join(dir, 'exporter_loki_logs');
    return (await fs.readdir(queueDir)).filter((name) => name.endsWith('.seg')).map((name) => path.join(queueDir, name));
  }

  it('keeps accepted batches across a crash and sends them after restart, then forgets them', async () => {
    const first = await open();
    for (let i = 0; i < 5; i++) await first.exporter.consume(makeLogs(i, 2), {});
    // "Crash": abandon the first exporter without shutdown and open the same directory again.
    const sink = collector();
    const second = await open({ send: sink.send });
    await waitFor(() => sink.received.size === 5, 'recovered batches');
    for (let i = 0; i < 5; i++) assert.deepEqual(sink.received.get(i), makeLogs(i, 2));
    assert.ok(second.logger.lines.some((line) => line.message === 'resuming batches from the persistent queue'));

    for (const exporter of running.splice(0)) await exporter.shutdown(AbortSignal.abort());
    // Sent batches are removed: a third start has nothing to send.
    assert.deepEqual(await segmentFiles(), []);
    const third = collector();
    const restarted = await open({ send: third.send });
    assert.equal(restarted.exporter.health().queue_length, 0);
    assert.equal(third.received.size, 0);
  });

  it('shares one fsync among concurrent consumes (group commit)', async () => {
    const { exporter } = await open();
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = prototype.datasync;
    let syncs = 0;
    prototype.datasync = function (this: unknown) {
      syncs++;
      return original.call(this);
    };
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => exporter.consume(makeLogs(i), {})));
    } finally {
      prototype.datasync = original;
    }
    assert.ok(syncs >= 1 && syncs < 50, `${syncs} fsyncs for 50 concurrent consumes`);
  });

  it('skips a torn record at the tail with a warning and sends the rest', async () => {
    const first = await open();
    for (let i = 0; i < 3; i++) await first.exporter.consume(makeLogs(i), {});
    const [segment] = await segmentFiles();
    // A crash in the middle of a fourth write: a header that promises more bytes than follow.
    const torn = Buffer.alloc(8 + 10);
    torn.writeUInt32LE(1000, 0);
    await fs.appendFile(segment!, torn);

    const sink = collector();
    const second = await open({ send: sink.send });
    await waitFor(() => sink.received.size === 3, 'the intact batches');
    const warning = second.logger.lines.find((line) => line.level === 'warn' && /torn/.test(line.message));
    assert.equal(warning?.fields.skipped_bytes, 18);
  });

  it('skips a record whose checksum does not match', async () => {
    const first = await open();
    for (let i = 0; i < 3; i++) await first.exporter.consume(makeLogs(i), {});
    const [segment] = await segmentFiles();
    // Flip a byte inside the last record's payload: the length still fits, only the CRC can tell.
    const bytes = await fs.readFile(segment!);
    bytes[bytes.length - 3]! ^= 0xff;
    await fs.writeFile(segment!, bytes);

    const sink = collector();
    const second = await open({ send: sink.send });
    await waitFor(() => sink.received.size === 2, 'the intact batches');
    assert.deepEqual([...sink.received.keys()].sort(), [0, 1]);
    assert.ok(second.logger.lines.some((line) => line.level === 'warn' && /torn/.test(line.message)));
  });

  /** The `[u32 length][u32 crc32][payload]` frame the journal writes, for hand-made segments. */
  function frame(payload: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(zlib.crc32(payload), 4);
    return Buffer.concat([header, payload]);
  }

  it('stores each batch as its record count and an OTLP ExportLogsServiceRequest, in a directory marked with its format', async () => {
    const first = await open();
    await first.exporter.consume(makeLogs(7, 3), {});
    const queueDir = path.join(dir, 'exporter_loki_logs');
    assert.equal(await fs.readFile(path.join(queueDir, 'FORMAT'), 'utf8'), 'otlp-logs-proto/1\n');
    const [segment] = await segmentFiles();
    const bytes = await fs.readFile(segment!);
    const payload = bytes.subarray(8, 8 + bytes.readUInt32LE(0));
    assert.equal(payload.readUInt32LE(0), 3, 'the record count before the request');
    assert.deepEqual(decodeLogsProto(payload.subarray(4)), makeLogs(7, 3));
  });

  for (const [name, marker] of [
    ['no FORMAT file (written before queues were OTLP protobuf)', undefined],
    ['a FORMAT file naming another format', 'sluice-binary/0\n'],
  ] as const) {
    it(`refuses a directory whose segments have ${name}, with SLUICE_QUEUE_FORMAT naming it and what to do`, async () => {
      const queueDir = path.join(dir, 'exporter_loki_logs');
      await fs.mkdir(queueDir, { recursive: true });
      // What the previous version wrote: its own binary encoding, behind a valid frame.
      await fs.writeFile(path.join(queueDir, '0000000001.seg'), frame(Buffer.from([1, 0, 0, 0, 0x53, 0x4c, 0x43, 1, 2, 3])));
      if (marker) await fs.writeFile(path.join(queueDir, 'FORMAT'), marker);
      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof SluiceError);
        assert.equal(err.code, 'SLUICE_QUEUE_FORMAT');
        assert.ok(err.message.includes(queueDir), err.message);
        assert.match(err.message, /drain it .* or move the directory aside/);
        return true;
      });
      // Nothing was read or rewritten: the old data is still there for the version that can drain it.
      assert.deepEqual((await fs.readdir(queueDir)).sort(), marker ? ['0000000001.seg', 'FORMAT'] : ['0000000001.seg']);
    });
  }

  it('drops a batch whose bytes pass the checksum but do not decode, counting and logging it, and sends the rest', async () => {
    const first = await open();
    for (let i = 0; i < 2; i++) await first.exporter.consume(makeLogs(i), {});
    const [segment] = await segmentFiles();
    // A record count of 3, then a protobuf tag with wire type 7, which does not exist.
    await fs.appendFile(segment!, frame(Buffer.from([3, 0, 0, 0, 0x0f, 0xff, 0xff])));

    const sink = collector();
    const second = await open({ send: sink.send });
    await waitFor(() => sink.received.size === 2, 'the readable batches');
    await waitFor(
      () =>
        second.logger.lines.some(
          (line) => line.level === 'error' && line.message === 'dropping an unreadable batch from the persistent queue',
        ),
      'the error',
    );
    assert.equal(second.exporter.health().queue_length, 0);
    assert.equal(second.exporter.health().entries_dropped, 3, 'the records the header counts');
    assert.equal(sample(await second.telemetry.scrape(), 'sluice_exporter_dropped_log_records_total', 'reason="unreadable"'), 3);
  });

  it('keeps only an index in memory and reads each batch back when it is sent; a batch changed on disk meanwhile is dropped as unreadable', async () => {
    const sink = collector();
    const first = gate();
    const { exporter, telemetry } = await open({
      queue: { num_consumers: 1 },
      send: async (logs) => {
        await first.promise;
        return sink.send(logs);
      },
    });
    for (let i = 0; i < 3; i++) await exporter.consume(makeLogs(i, 4), {});
    // Batch 0 is out on its send; flip a byte of batch 1's payload on disk before it is read.
    const [segment] = await segmentFiles();
    const bytes = await fs.readFile(segment!);
    const second = 8 + bytes.readUInt32LE(0);
    bytes[second + 8 + 20]! ^= 0xff;
    await fs.writeFile(segment!, bytes);
    first.open();

    await waitFor(() => sink.received.size === 2, 'the intact batches');
    assert.deepEqual([...sink.received.keys()], [0, 2]);
    assert.deepEqual(sink.received.get(2), makeLogs(2, 4));
    assert.equal(sample(await telemetry.scrape(), 'sluice_exporter_dropped_log_records_total', 'reason="unreadable"'), 4);
  });

  it('refuses with a retryable error when max_size_mib is used up, logging it, losing nothing accepted', async () => {
    const { exporter, telemetry, logger } = await open({ maxSizeMib: 0.01 }); // 10,485 bytes
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 20 && refusal === undefined; i++) {
      try {
        await exporter.consume(makeLogs(i, 1, 2000), {});
        accepted++;
      } catch (err) {
        refusal = err;
      }
    }
    assert.ok(refusal instanceof ConsumeError, 'the budget refuses data');
    assert.equal(refusal.retryable, true);
    assert.equal(refusal.code, 'SLUICE_QUEUE_FULL');
    assert.match(refusal.message, /max_size_mib/);
    assert.ok(accepted >= 3, `${accepted} batches fit before the refusal`);
    assert.equal(sample(await telemetry.scrape(), 'otelcol_exporter_enqueue_failed_log_records_total', 'exporter="loki"'), 1);
    await waitFor(() => logger.lines.some((line) => /disk budget/.test(line.message)), 'the refusal in the log');
    const logged = logger.lines.find((line) => /disk budget/.test(line.message))!;
    assert.equal(logged.fields.path, path.join(dir, 'exporter_loki_logs'));
    assert.equal(typeof logged.fields.free_bytes, 'number');

    for (const old of running.splice(0)) await old.shutdown(AbortSignal.abort());
    const sink = collector();
    await open({ send: sink.send, maxSizeMib: 0.01 });
    await waitFor(() => sink.received.size === accepted, 'every accepted batch');
  });

  it('survives SIGKILL of a real process: every acknowledged batch is sent after restart', async function () {
    this.timeout(30_000);
    const child = spawn(process.execPath, [path.join(__dirname, 'exporterhelper-crash-child.js'), dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Set<number>();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) acked.add(Number(line.slice('acked '.length)));
      if (acked.size >= 200) child.kill('SIGKILL');
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    assert.equal(exit, 'SIGKILL', `child did not get killed: ${stderr}`);
    assert.ok(acked.size >= 200);

    const sink = collector();
    await open({ send: sink.send, queue: { queue_size: 5000 } });
    await waitFor(() => [...acked].every((batch) => sink.received.has(batch)), 'every acknowledged batch');
    for (const batch of acked) assert.deepEqual(sink.received.get(batch), makeLogs(batch, 3));
  });
});
