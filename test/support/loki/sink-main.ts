/**
 * The Loki test server as a process of its own, for `npm run bench`: it decodes and validates
 * every push as Loki would, counts the entries and keeps none. Prints `push <url>` when ready.
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

startLokiTestServer({
  authEnabled: false,
  keepEntries: false,
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
