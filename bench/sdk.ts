/**
 * SDK benchmark: what one log call costs the app's thread, for plain pino and for the ways of
 * getting pino logs to a collector. Exports go over OTLP/HTTP to a loopback sink that accepts and
 * discards; only the logging loop is timed (the bridge's queue holds every record, so nothing is
 * dropped early, and its scheduled export waits until after the loop).
 *
 *   node bench/dist/sdk.js            (or through `npm run bench`)
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { startLogBridge } from '@sluice/sdk';

export interface SdkBenchRow {
  name: string;
  nsPerCall: number;
}

// Small enough that a transport's 4 MB ring buffer holds the whole burst: we time the app
// thread's share, not how fast a worker drains.
const CALLS = 20_000;
const WARMUP = 5_000;

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

/** ns per call of `log.info(fields, msg)`, after a warm-up, on this thread. */
function time(log: pino.Logger): number {
  for (let i = 0; i < WARMUP; i++) log.info({ i, user: 'u-42', path: '/checkout', ok: true }, 'bench record');
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) log.info({ i, user: 'u-42', path: '/checkout', ok: true }, 'bench record');
  return Number(process.hrtime.bigint() - start) / CALLS;
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

export async function runSdkBench(): Promise<SdkBenchRow[]> {
  const sink = await startSink();
  const rows: SdkBenchRow[] = [];
  const common = {
    serviceName: 'bench',
    endpoint: sink.url,
    protocol: 'http/protobuf' as const,
    handleSignals: false,
    maxQueueSize: (CALLS + WARMUP) * 2,
  };

  // Buffered, as pino is usually run in production (a sync destination pays a syscall per line).
  const devNull = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
  await once(devNull, 'ready');
  const plain = pino({}, devNull);
  time(plain); // pino's own code warms up here, so the first row is not charged for the JIT
  rows.push({ name: 'pino → /dev/null (baseline)', nsPerCall: time(plain) });
  devNull.flushSync();

  const bridge = startLogBridge({ ...common, scheduledDelayMillis: 3_600_000 });
  rows.push({ name: 'pino → @sluice/sdk pinoStream (app thread)', nsPerCall: time(pino({}, bridge.pinoStream())) });
  await bridge.shutdown();

  const ours = pino.transport({
    target: require.resolve('@sluice/sdk/dist/src/pino-transport.js'),
    options: common,
  });
  rows.push({ name: 'pino → @sluice/sdk pino-transport (worker)', nsPerCall: time(pino({}, ours)) });
  await endTransport(ours);

  // pino-opentelemetry-transport reads the endpoint from the environment (its worker shares it).
  process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = sink.url;
  const theirs = pino.transport({ target: 'pino-opentelemetry-transport', options: { resourceAttributes: { 'service.name': 'bench' } } });
  rows.push({ name: 'pino → pino-opentelemetry-transport (worker)', nsPerCall: time(pino({}, theirs)) });
  await endTransport(theirs);
  delete process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  await sink.stop();

  return rows;
}

export function formatSdkBench(rows: SdkBenchRow[]): string {
  const width = Math.max(...rows.map((row) => row.name.length));
  const lines = rows.map((row) => `${row.name.padEnd(width)}  ${row.nsPerCall.toFixed(0).padStart(7)} ns/call`);
  return [`SDK: app-thread cost of one pino log call (${CALLS} calls)`, ...lines].join('\n');
}

if (require.main === module) {
  runSdkBench().then(
    (rows) => {
      console.log(formatSdkBench(rows));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
