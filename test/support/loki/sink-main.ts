/**
 * The Loki test server as a process of its own, for `npm run bench`: it decodes and validates
 * every push as Loki would, counts the entries and keeps none. Prints `push <url>` when ready.
 */
import { startLokiTestServer } from './server';

function fail(err: unknown): void {
  process.stderr.write(`loki sink: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

startLokiTestServer({ authEnabled: false, keepEntries: false }).then((server) => {
  process.stdout.write(`push ${server.pushUrl}\n`);
  process.on('SIGTERM', () => {
    process.stderr.write(`loki sink: ${server.acceptedEntries} entries accepted\n`);
    server.close().then(() => process.exit(0), fail);
  });
}, fail);
