/**
 * The Loki test server as a process of its own, for `npm run bench`: it decodes and validates
 * every push as Loki would, counts the entries and keeps none. Prints `push <url>` when ready.
 * It stands in for a Loki on other machines, yet shares this machine's cores with the collector
 * it measures: it decompresses with the native snappy where that loads (snappyjs took a third
 * of its CPU), so as to take as little of them as its checks allow.
 * Each `stats` line on stdin is answered with a `stats <json>` line: the pushes accepted since
 * the previous one (count, entries, largest push), so a bench can measure a window of its own.
 */
import { createInterface } from 'node:readline';
import { startLokiTestServer } from './server';

/** What the sink answers to `stats`. */
export interface PushStats {
  pushes: number;
  entries: number;
  maxPushEntries: number;
  /** The largest push in line and structured-metadata bytes (what Loki's rate limits count). */
  maxPushEntryBytes: number;
  /** The largest push body as sent (compressed). */
  maxPushWireBytes: number;
}

const emptyStats = (): PushStats => ({ pushes: 0, entries: 0, maxPushEntries: 0, maxPushEntryBytes: 0, maxPushWireBytes: 0 });

function fail(err: unknown): void {
  process.stderr.write(`loki sink: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

let window = emptyStats();

/** The native snappy's decompression, or undefined where it cannot load (the server then uses snappyjs). */
function nativeSnappyUncompress(): ((input: Uint8Array) => Uint8Array) | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: a platform without its binary falls back
    const snappy = require('snappy') as { uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer };
    return (input) => snappy.uncompressSync(input, { asBuffer: true });
  } catch {
    return undefined;
  }
}

startLokiTestServer({
  authEnabled: false,
  keepEntries: false,
  snappyUncompress: nativeSnappyUncompress(),
  onPush: (push) => {
    window.pushes++;
    window.entries += push.entries;
    window.maxPushEntries = Math.max(window.maxPushEntries, push.entries);
    window.maxPushEntryBytes = Math.max(window.maxPushEntryBytes, push.entryBytes);
    window.maxPushWireBytes = Math.max(window.maxPushWireBytes, push.wireBytes);
  },
}).then((server) => {
  process.stdout.write(`push ${server.pushUrl}\n`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'stats') return;
    process.stdout.write(`stats ${JSON.stringify(window)}\n`);
    window = emptyStats();
  });
  process.on('SIGTERM', () => {
    process.stderr.write(`loki sink: ${server.acceptedEntries} entries accepted\n`);
    server.close().then(() => process.exit(0), fail);
  });
}, fail);
