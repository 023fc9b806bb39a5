/**
 * A child process for the persistent queue's memory test, so each phase's peak RSS is its own.
 * `write <dir> <bytes>`: queues ~1 MiB batches to a destination that is down until `bytes` are on
 * disk, then exits without shutdown. `recover <dir> <reads>`: starts on that directory, lets the
 * first `reads` batches through, and reports. Prints one JSON line per phase on stdout.
 */
import { readFileSync } from 'node:fs';
import { createQueuedExporter } from '../src/exporterhelper/queued-exporter';
import type { SendOutcome } from '../src/exporterhelper/send-outcome';
import { fileStorageExtensionFactory } from '../src/extensions/file-storage';
import type { LogsData } from '@sluice/pdata';
import { batchOf, helperConfig, hostWith, makeLogs, testSettings, waitFor } from './exporterhelper-helpers';

const BODY_BYTES = 1024 * 1024;
const CONCURRENCY = 4;

/** Peak RSS: the kernel's high-water mark where there is one, else the highest sample taken. */
function peakRss(): () => number {
  let sampled = process.memoryUsage.rss();
  const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 10);
  timer.unref();
  return () => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
      if (hwm) return Math.max(sampled, Number(hwm[1]) * 1024);
    } catch {
      // No procfs: the samples are all there is.
    }
    return sampled;
  };
}

const down = (_logs: LogsData, signal: AbortSignal) =>
  new Promise<SendOutcome>((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, retryable: true, reason: 'down' })));

async function startExporter(directory: string, send: (logs: LogsData, signal: AbortSignal) => Promise<SendOutcome>) {
  const storage = fileStorageExtensionFactory.create(
    testSettings('file_storage').settings,
    fileStorageExtensionFactory.configSchema.parse({ directory }),
  );
  const host = hostWith({ file_storage: storage });
  await storage.start(host);
  const { settings, logger } = testSettings('loki');
  const exporter = createQueuedExporter({
    settings,
    config: helperConfig({ sending_queue: { storage: 'file_storage', queue_size: 100_000 } }),
    encode: (logs) => logs,
    send,
  });
  await exporter.start(host);
  return { exporter, logger };
}

async function write(directory: string, bytes: number): Promise<void> {
  const peak = peakRss();
  const { exporter } = await startExporter(directory, down);
  const batches = Math.ceil(bytes / BODY_BYTES);
  let next = 0;
  const worker = async () => {
    while (next < batches) await exporter.consume(makeLogs(next++, 1, BODY_BYTES), {});
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  report({ phase: 'write', batches, peak_rss: peak() });
}

async function recover(directory: string, reads: number): Promise<void> {
  const peak = peakRss();
  const received: Array<{ batch: number; bodyBytes: number }> = [];
  // The first `reads` batches go through; then the destination is down again.
  const send = (logs: LogsData, signal: AbortSignal): Promise<SendOutcome> => {
    if (received.length >= reads) return down(logs, signal);
    const body = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body as string;
    received.push({ batch: batchOf(logs), bodyBytes: body.length });
    return Promise.resolve({ ok: true });
  };
  const { logger } = await startExporter(directory, send);
  const resumed = logger.lines.find((line) => line.message === 'resuming batches from the persistent queue');
  report({ phase: 'recover', batches: resumed?.fields.batches ?? 0, peak_rss: peak() });
  await waitFor(() => received.length >= reads, 'the first batches read back');
  report({ phase: 'read', received, peak_rss: peak() });
}

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const [phase, directory, arg] = process.argv.slice(2);
(phase === 'write' ? write(directory!, Number(arg)) : recover(directory!, Number(arg))).then(
  // Exit without shutdown, as a crash would: what was acknowledged is on disk.
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
