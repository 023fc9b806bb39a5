import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConsumeError, SluiceError } from '@sluice/pdata';
import { createMemoryLogger } from '../src/logger';
import { adoptJournal, SegmentJournal } from '../src/exporterhelper/segment-journal';
import type { RecordRef } from '../src/exporterhelper/segment-journal';
import { waitFor } from './exporterhelper-helpers';

const MIB = 1024 * 1024;

/** A payload that starts with `header` as a u32 LE and then repeats `fill`. */
function payload(header: number, bytes: number, fill = header & 0xff): Buffer {
  const out = Buffer.alloc(bytes, fill);
  out.writeUInt32LE(header, 0);
  return out;
}

describe('segment journal', () => {
  let dir: string;
  const opened: SegmentJournal[] = [];

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-journal-'));
  });

  afterEach(async () => {
    for (const journal of opened.splice(0)) await journal.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function open(maxBytes = 0) {
    const logger = createMemoryLogger();
    const { journal, recovered } = await SegmentJournal.open(dir, { maxBytes, logger, format: 'test/1' });
    opened.push(journal);
    return { journal, recovered, logger };
  }

  async function segments(): Promise<string[]> {
    return (await fs.readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
  }

  it('reads payloads back from closed and active segments, alongside appends and acks', async () => {
    const { journal } = await open();
    // 3 MiB records: the third rolls the first segment (8 MiB), so the fourth lands in a new one.
    const refs: RecordRef[] = [];
    for (let i = 0; i < 4; i++) refs.push(await journal.append(payload(i, 3 * MIB)));
    assert.equal((await segments()).length, 2);
    assert.notEqual(refs[0]!.segment, refs[3]!.segment);

    // Reads while an append and an ack are in progress.
    const appending = journal.append(payload(4, 100));
    journal.ack(refs[0]!);
    const [closed, active, third, appended] = await Promise.all([
      journal.read(refs[1]!),
      journal.read(refs[3]!),
      journal.read(refs[2]!),
      appending,
    ]);
    assert.ok(closed.equals(payload(1, 3 * MIB)));
    assert.ok(active.equals(payload(3, 3 * MIB)));
    assert.ok(third.equals(payload(2, 3 * MIB)));
    assert.ok((await journal.read(appended)).equals(payload(4, 100)));
  });

  it('recovers an index of the live records (place, length, first 4 bytes), not their payloads', async () => {
    const first = await open();
    // 2.5 MiB records span the 1 MiB chunks that recovery reads in; a 3-byte one has no header.
    const refs = [
      await first.journal.append(payload(7, 2.5 * MIB)),
      await first.journal.append(payload(8, 2.5 * MIB)),
      await first.journal.append(Buffer.from([1, 2, 3])),
      await first.journal.append(payload(9, 10)),
    ];
    first.journal.ack(refs[1]!);
    await first.journal.close();

    const second = await open();
    assert.deepEqual(
      second.recovered.map(({ ref, header }) => ({ length: ref.length, header })),
      [
        { length: 2.5 * MIB, header: 7 },
        { length: 3, header: undefined },
        { length: 10, header: 9 },
      ],
    );
    assert.ok(!second.recovered.some((record) => 'payload' in record));
    assert.ok((await second.journal.read(second.recovered[0]!.ref)).equals(payload(7, 2.5 * MIB)));
    assert.deepEqual([...(await second.journal.read(second.recovered[1]!.ref))], [1, 2, 3]);
  });

  it('detects a corrupt byte deep inside a record bigger than a read chunk, and keeps what precedes it', async () => {
    const first = await open();
    await first.journal.append(payload(1, 100));
    await first.journal.append(payload(2, 3 * MIB));
    await first.journal.close();
    const [segment] = await segments();
    const file = await fs.open(path.join(dir, segment!), 'r+');
    await file.write(Buffer.from([0xee]), 0, 1, 108 + 8 + 2 * MIB + 5); // inside the big record's third chunk
    await file.close();

    const second = await open();
    assert.deepEqual(
      second.recovered.map((record) => record.header),
      [1],
    );
    const warning = second.logger.lines.find((line) => /torn or corrupt/.test(line.message));
    assert.equal(warning?.fields.offset, 108);
    assert.equal(warning?.fields.skipped_bytes, 8 + 3 * MIB);
  });

  it('refuses to read back a record whose bytes changed on disk, with SLUICE_QUEUE_CORRUPT', async () => {
    const { journal } = await open();
    const ref = await journal.append(payload(5, 1000));
    const [segment] = await segments();
    const file = await fs.open(path.join(dir, segment!), 'r+');
    await file.write(Buffer.from([0xee]), 0, 1, ref.offset + 8 + 500);
    await file.close();
    await assert.rejects(journal.read(ref), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'SLUICE_QUEUE_CORRUPT');
      assert.ok(err.message.includes(path.join(dir, segment!)), err.message);
      return true;
    });
  });

  it('logs a spent disk budget once per interval, with the path and the free space', async () => {
    const { journal, logger } = await open(10_000);
    await journal.append(payload(1, 6_000));
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        journal.append(payload(2, 6_000)),
        (err: unknown) => err instanceof ConsumeError && err.code === 'SLUICE_QUEUE_FULL',
      );
    }
    await waitFor(() => logger.lines.some((line) => /disk budget/.test(line.message)), 'the refusal log line');
    const lines = logger.lines.filter((line) => /refuses data/.test(line.message));
    assert.equal(lines.length, 1, 'rate-limited');
    assert.equal(lines[0]!.level, 'warn');
    assert.equal(lines[0]!.fields.path, dir);
    assert.equal(typeof lines[0]!.fields.free_bytes, 'number');
    assert.ok((lines[0]!.fields.free_bytes as number) > 0);
  });

  it('logs a failed write (ENOSPC) once per interval, with the path and the free space, and refuses retryably', async () => {
    const { journal, logger } = await open();
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = prototype.write;
    // The disk is full: every write fails as the kernel says so.
    prototype.write = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(journal.append(payload(i, 100)), (err: unknown) => {
          assert.ok(err instanceof ConsumeError);
          assert.equal(err.code, 'SLUICE_WRITE_FAILED');
          assert.equal(err.retryable, true);
          return true;
        });
      }
    } finally {
      prototype.write = original;
    }
    await waitFor(() => logger.lines.some((line) => /write to disk failed/.test(line.message)), 'the refusal log line');
    const lines = logger.lines.filter((line) => /refuses data/.test(line.message));
    assert.equal(lines.length, 1, 'rate-limited');
    assert.equal(lines[0]!.fields.path, dir);
    assert.match(String(lines[0]!.fields.error), /ENOSPC/);
    assert.equal(typeof lines[0]!.fields.free_bytes, 'number');

    // The disk has room again: appends and reads work, in a fresh segment.
    const ref = await journal.append(payload(9, 100));
    assert.ok((await journal.read(ref)).equals(payload(9, 100)));
  });

  it('resumes an adoption that a crash cut short right after the FORMAT file moved', async () => {
    // The queue a worker left: two unsent records.
    const source = path.join(dir, 'worker-1', 'q');
    const target = path.join(dir, 'q');
    const { journal: left } = await SegmentJournal.open(source, { maxBytes: 0, logger: createMemoryLogger(), format: 'test/1' });
    await left.append(payload(1, 100));
    await left.append(payload(2, 100));
    await left.close();
    await fs.mkdir(target, { recursive: true });
    // The process dies as the first segment is moved: the FORMAT step is done, no segment moved.
    const rename = fs.rename;
    fs.rename = (from, to) =>
      String(from).endsWith('.seg') ? Promise.reject(Object.assign(new Error('killed'), { code: 'EINTR' })) : rename(from, to);
    try {
      await assert.rejects(adoptJournal(target, source), /killed/);
    } finally {
      fs.rename = rename;
    }

    assert.equal(await adoptJournal(target, source), true, 'the next start finishes the adoption');
    const { journal, recovered } = await SegmentJournal.open(target, { maxBytes: 0, logger: createMemoryLogger(), format: 'test/1' });
    opened.push(journal);
    assert.deepEqual(
      recovered.map((r) => r.header),
      [1, 2],
    );
  });
});
