/**
 * Reads a file's complete lines as buffers, with their number and the byte offset after them.
 * A gzip file (recognised by its magic bytes, whatever its name) is read decompressed, members
 * one after the other, so offsets count decompressed bytes. A last line without its newline is
 * only read when `partialLast` is set: a writer may still be appending to it.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';

export interface Line {
  bytes: Buffer;
  /** 1-based line number in the (decompressed) file. */
  number: number;
  /** The offset just after this line's newline, where reading resumes. */
  end: number;
}

export interface ReadFrom {
  /** Decompressed byte offset to start at: always the end of a line read before. */
  offset: number;
  /** The number of the line before `offset`. */
  line: number;
}

const NEWLINE = 0x0a;

export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function* readLines(path: string, from: ReadFrom = { offset: 0, line: 0 }, partialLast = false): AsyncGenerator<Line> {
  const gzipped = await isGzipFile(path);
  // A plain file is read from the offset; a gzip stream must be inflated from its start and skipped.
  const source = gzipped ? gunzipped(path) : createReadStream(path, { start: from.offset });
  let position = gzipped ? 0 : from.offset;
  let number = from.line;
  let pending: Buffer[] = [];
  try {
    for await (const data of source as AsyncIterable<Buffer>) {
      let chunk = data;
      if (position < from.offset) {
        const skip = Math.min(from.offset - position, chunk.length);
        position += skip;
        chunk = chunk.subarray(skip);
      }
      let start = 0;
      for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, newline);
        const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        start = newline + 1;
        yield { bytes, number: ++number, end: position + start };
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
      position += chunk.length;
    }
  } finally {
    source.destroy();
  }
  if (partialLast && pending.length > 0) yield { bytes: Buffer.concat(pending), number: number + 1, end: position };
}

/**
 * The file inflated. `pipe` alone would neither fail the inflated stream when reading the file
 * fails (the file removed meanwhile: an uncaught error) nor close the file when the reader stops early.
 */
function gunzipped(path: string): Gunzip {
  const file = createReadStream(path);
  const gunzip = createGunzip();
  file.on('error', (err) => gunzip.destroy(err));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}
