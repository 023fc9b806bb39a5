/**
 * A child process for the SIGKILL test: it queues batches into a persistent queue whose sends
 * never succeed, printing `acked <n>` as each consume resolves, until the parent kills it.
 */
import { createQueuedExporter } from '../src/exporterhelper/queued-exporter';
import { fileStorageExtensionFactory } from '../src/extensions/file-storage';
import { helperConfig, hostWith, makeLogs, testSettings } from './exporterhelper-helpers';

const CONCURRENCY = 8;
const LIMIT = 5_000;

async function main(directory: string): Promise<void> {
  const storage = fileStorageExtensionFactory.create(
    testSettings('file_storage').settings,
    fileStorageExtensionFactory.configSchema.parse({ directory }),
  );
  const host = hostWith({ file_storage: storage });
  await storage.start(host);
  const exporter = createQueuedExporter({
    settings: testSettings('loki').settings,
    config: helperConfig({ sending_queue: { storage: 'file_storage', queue_size: LIMIT } }),
    encode: (logs) => logs,
    // The destination is down: every attempt waits until aborted.
    send: (_logs, signal) =>
      new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, retryable: true, reason: 'down' }))),
  });
  await exporter.start(host);
  let next = 0;
  const worker = async () => {
    while (next < LIMIT) {
      const batch = next++;
      await exporter.consume(makeLogs(batch, 3), {});
      process.stdout.write(`acked ${batch}\n`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

main(process.argv[2]!).catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
