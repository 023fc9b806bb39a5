/**
 * SDK benchmark: what one pino log call costs the app's thread, for plain pino and for the ways of
 * getting pino logs to a collector, each as a multiple of plain pino measured in the same run.
 * Exports go over OTLP/HTTP to a loopback sink (in its own thread) that accepts and discards.
 *
 * Every variant logs SDK_BENCH_CALLS calls (default 500,000, so that `npm run bench` stays under
 * 3 minutes) after a warm-up, split into SDK_BENCH_ROUNDS rounds (default 5) that take turns
 * between the variants, so a noisy moment hits them all rather than one. A round logs in chunks
 * of 1,000 calls and yields between chunks, as a server does between requests. The time counted
 * is the app thread's busy time in the round (event-loop utilisation), so it includes whatever
 * that thread does for the logs in between (the in-thread stream's batching and export encoding;
 * a worker transport's blocking waits when its ring buffer is full) but not its idle waits on the
 * network.
 *
 *   node bench/dist/sdk.js            (or through `npm run bench -- sdk`)
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { startLogBridge, type LogBridge } from '@sluice/sdk';

const CALLS = Number(process.env.SDK_BENCH_CALLS ?? 500_000);
const ROUNDS = Number(process.env.SDK_BENCH_ROUNDS ?? 5);
const WARMUP = 50_000;
const CHUNK = 1_000;
const MAX_QUEUE = 100_000;

export interface SdkBenchRow {
  name: string;
  /** ns per call in each round. */
  rounds: number[];
  /** Records the bridge dropped (queue full): a non-zero count means the figure is not comparable. */
  dropped?: number;
}

export interface SdkBenchResult {
  calls: number;
  rows: SdkBenchRow[];
}

/**
 * Answers every OTLP/HTTP export with 200 and an empty (valid) protobuf response. It runs in its
 * own thread: a transport's end() blocks the main thread while its worker's last export waits.
 */
const SINK_SOURCE = `
  const { createServer } = require('node:http');
  const { parentPort } = require('node:worker_threads');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

async function startSink(): Promise<{ url: string; stop(): Promise<number> }> {
  const worker = new Worker(SINK_SOURCE, { eval: true });
  const [port] = (await once(worker, 'message')) as [number];
  return { url: `http://127.0.0.1:${port}/v1/logs`, stop: () => worker.terminate() };
}

/**
 * Logs `calls` calls in chunks, yielding between them, then `settle`s; returns the app thread's
 * busy time per call in ns (event-loop utilisation: the thread's waits on I/O do not count, its
 * blocking waits for a full transport buffer do).
 */
async function timed(variant: Variant, calls: number): Promise<number> {
  const { log } = variant;
  const before = performance.eventLoopUtilization();
  for (let done = 0; done < calls; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) log.info({ i, user: 'u-42', path: '/checkout', ok: true }, 'bench record');
    await yieldToLoop();
    await variant.pace?.();
  }
  await variant.settle();
  return (performance.eventLoopUtilization(before).active * 1e6) / calls;
}

/** Waits until pino's destination has taken every line (a transport's worker has read them all). */
function flushed(log: pino.Logger): Promise<unknown> {
  return new Promise((resolve) => log.flush(resolve));
}

type Transport = ReturnType<typeof pino.transport>;

/** Ends a transport and waits for its worker to close (it flushes on the way). */
async function endTransport(stream: Transport): Promise<void> {
  // A worker that cannot drain in thread-stream's 10 s emits 'error' rather than 'close'.
  const closed = Promise.race([once(stream, 'close'), once(stream, 'error')]);
  // pino unrefs its worker: hold the process until the worker has flushed and closed.
  const keepAlive = setInterval(() => undefined, 1_000);
  stream.end();
  try {
    await closed;
  } finally {
    clearInterval(keepAlive);
  }
}

interface Variant {
  name: string;
  log: pino.Logger;
  bridge?: LogBridge;
  /** Settles what the round left behind, so it is not charged to the next variant: the bridge's exports (timed, as they run on the app thread), a worker's backlog. */
  settle: () => Promise<unknown>;
  /**
   * Between chunks: the in-thread bridge exports what it has queued once the queue is half full,
   * as a loaded app's thread would have to; otherwise it drops, and dropping is cheaper than logging.
   */
  pace?: () => Promise<unknown>;
  close: () => Promise<unknown>;
}

export async function runSdkBench(): Promise<SdkBenchResult> {
  const sink = await startSink();
  const common = { serviceName: 'bench', endpoint: sink.url, protocol: 'http/protobuf' as const, maxQueueSize: MAX_QUEUE };

  // Buffered, as pino is usually run in production (a sync destination pays a syscall per line).
  const devNull = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
  await once(devNull, 'ready');
  const bridge = startLogBridge({ ...common, scheduledDelayMillis: 200 });
  const ours = pino.transport({ target: '@sluice/sdk/pino-transport', options: common });
  // pino-opentelemetry-transport reads the endpoint from the environment (its worker shares it).
  process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = sink.url;
  const theirs = pino.transport({ target: 'pino-opentelemetry-transport', options: { resourceAttributes: { 'service.name': 'bench' } } });

  const logger = (destination: pino.DestinationStream, close: () => Promise<unknown>): Omit<Variant, 'name'> => {
    const log = pino({}, destination);
    return { log, settle: () => flushed(log), close };
  };
  const variants: Variant[] = [
    { name: 'pino → /dev/null (baseline)', ...logger(devNull, () => Promise.resolve(devNull.flushSync())) },
    {
      name: 'pino → @sluice/sdk pinoStream (app thread)',
      ...logger(bridge.pinoStream(), () => bridge.shutdown()),
      settle: () => bridge.forceFlush(),
      pace: () => (bridge.stats().queued > MAX_QUEUE / 2 ? bridge.forceFlush() : Promise.resolve()),
      bridge,
    },
    { name: 'pino → @sluice/sdk/pino-transport (worker)', ...logger(ours, () => endTransport(ours)) },
    { name: 'pino → pino-opentelemetry-transport (worker)', ...logger(theirs, () => endTransport(theirs)) },
  ];
  for (const variant of variants) await timed(variant, WARMUP);
  const rows: SdkBenchRow[] = variants.map((variant) => ({ name: variant.name, rounds: [] }));
  const perRound = Math.ceil(CALLS / ROUNDS / CHUNK) * CHUNK;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, variant] of variants.entries()) rows[index]!.rounds.push(await timed(variant, perRound));
  }
  for (const [index, variant] of variants.entries()) {
    if (variant.bridge) rows[index]!.dropped = variant.bridge.stats().dropped;
    await variant.close();
  }
  delete process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  await sink.stop();
  return { calls: perRound * ROUNDS, rows };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function formatSdkBench({ calls, rows }: SdkBenchResult): string {
  const baseline = median(rows[0]!.rounds);
  const theirs = rows.find((row) => row.name.includes('pino-opentelemetry-transport'));
  const width = Math.max(...rows.map((row) => row.name.length));
  const lines = rows.map((row) => {
    const mid = median(row.rounds);
    const spread = `${Math.min(...row.rounds).toFixed(0)}–${Math.max(...row.rounds).toFixed(0)}`;
    const dropped = row.dropped ? `  (${row.dropped} dropped: not comparable)` : '';
    return `${row.name.padEnd(width)}  ${mid.toFixed(0).padStart(6)} ns  ${spread.padStart(11)}  ${(mid / baseline).toFixed(2).padStart(6)}×${dropped}`;
  });
  const header = `${'variant'.padEnd(width)}  median/call  min–max (ns)  × plain pino (medians)`;
  const ours = rows.find((row) => row.name.includes('@sluice/sdk/pino-transport'));
  const versus =
    ours && theirs ? `worker transport vs pino-opentelemetry-transport: ${(median(ours.rounds) / median(theirs.rounds)).toFixed(2)}×` : '';
  return [
    `SDK: app-thread cost of one pino log call; ${calls.toLocaleString('en')} calls a variant after warm-up, ${rows[0]!.rounds.length} interleaved rounds`,
    header,
    ...lines,
    versus,
  ].join('\n');
}

if (require.main === module) {
  runSdkBench().then(
    (result) => {
      console.log(formatSdkBench(result));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
