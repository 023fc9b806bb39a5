import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryLogger } from '@sluice/core';
import { FileWriter, afterWritten } from '../src/file-writer';
import { withTempDir } from './helpers';

describe('file writer: a short writev goes on where it stopped', () => {
  const parts = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('de'), Buffer.from('fghi')];
  const whole = Buffer.concat(parts).toString();

  it('leaves exactly the bytes after any count written', () => {
    for (let count = 1; count < whole.length; count++) {
      assert.equal(Buffer.concat(afterWritten(parts, count)).toString(), whole.slice(count), `after ${count} bytes`);
    }
  });

  it('does not copy: what is left views the parts', () => {
    const [first] = afterWritten(parts, 4);
    assert.equal(first!.buffer, parts[2]!.buffer);
    assert.equal(first!.toString(), 'e');
  });

  it('writes every queued line once and in order when each writev writes only part of them', () =>
    withTempDir(async (dir) => {
      // libuv retries short writes itself; one reaches the writer when an error cuts a write short
      // (a disk filling up). The FileHandle's writev is made to write at most 7 bytes per call.
      const probe = await open(join(dir, 'probe'), 'w');
      const fileHandle = Object.getPrototypeOf(probe) as { writev: (buffers: Buffer[]) => Promise<{ bytesWritten: number }> };
      await probe.close();
      const writev = fileHandle.writev;
      let calls = 0;
      fileHandle.writev = async function (this: unknown, buffers: Buffer[]) {
        calls++;
        return writev.call(this, [Buffer.concat(buffers).subarray(0, 7)]);
      };
      try {
        const path = join(dir, 'logs.jsonl');
        const writer = new FileWriter({
          path,
          truncate: false,
          createDirectory: false,
          directoryMode: 0o750,
          rotation: undefined,
          syncIntervalMs: 1000,
          gzipWrites: false,
          logger: createMemoryLogger(),
          now: Date.now,
        });
        const expected = Array.from({ length: 20 }, (_, i) => `line ${i} ${'x'.repeat(i)}\n`);
        // Queued in one tick: all but the first go out together, as several parts of one writev.
        await Promise.all(expected.map((line) => writer.write(Buffer.from(line))));
        await writer.close();
        assert.equal(await readFile(path, 'utf8'), expected.join(''));
        assert.ok(calls > expected.length, `${calls} writev calls`);
      } finally {
        fileHandle.writev = writev;
      }
    }));
});
