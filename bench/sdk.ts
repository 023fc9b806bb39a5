/**
 * SDK benchmark: what one log call costs the app's thread, for plain pino and for the ways of
 * getting pino logs to a collector. Exports go to a closed loopback port: we time the app
 * thread only (the bridge's queue is sized to hold every record, so nothing is dropped early).
 *
 *   node bench/dist/sdk.js            (or through `npm run bench`)
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import pino from 'pino';
import { startLogBridge } from '@sluice/sdk';

export interface SdkBenchRow {
  name: string;
  nsPerCall: number;
}

const CALLS = 50_000;
const WARMUP = 5_000;

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
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
  const closed = once(stream, 'close');
  stream.ref(); // pino unrefs its worker; hold the process until the worker has flushed
  stream.end();
  await closed;
}

export async function runSdkBench(): Promise<SdkBenchRow[]> {
  const port = await closedPort();
  const rows: SdkBenchRow[] = [];
  const common = { serviceName: 'bench', shutdownTimeoutMs: 200, handleSignals: false, maxQueueSize: (CALLS + WARMUP) * 2 };

  const devNull = pino.destination({ dest: '/dev/null', sync: true });
  rows.push({ name: 'pino → /dev/null (baseline)', nsPerCall: time(pino({}, devNull)) });

  const bridge = startLogBridge({ ...common, endpoint: `http://127.0.0.1:${port}`, scheduledDelayMillis: 3_600_000 });
  rows.push({ name: 'pino → @sluice/sdk pinoStream (app thread)', nsPerCall: time(pino({}, bridge.pinoStream())) });
  await bridge.shutdown();

  const ours = pino.transport({
    target: require.resolve('@sluice/sdk/dist/src/pino-transport.js'),
    options: { ...common, endpoint: `http://127.0.0.1:${port}` },
  });
  rows.push({ name: 'pino → @sluice/sdk pino-transport (worker)', nsPerCall: time(pino({}, ours)) });
  await endTransport(ours);

  // pino-opentelemetry-transport reads the endpoint from the environment (its worker shares it).
  process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = `http://127.0.0.1:${port}/v1/logs`;
  const theirs = pino.transport({ target: 'pino-opentelemetry-transport', options: { resourceAttributes: { 'service.name': 'bench' } } });
  rows.push({ name: 'pino → pino-opentelemetry-transport (worker)', nsPerCall: time(pino({}, theirs)) });
  await endTransport(theirs);
  delete process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;

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
