/**
 * `npm run bench`: the collector as a child process under a fixed OTLP/HTTP load, next to a
 * receive-and-discard baseline measured in the same run (results are read as multiples of it,
 * so the machine's speed cancels out). Prints records/s, CPU-seconds per million records and peak RSS.
 *
 *   npm run bench                 all scenarios, 8 s each, then the SDK benchmark
 *   BENCH_SECONDS=15 npm run bench -- jsonl loki-raw      (name `sdk` for the SDK benchmark alone)
 *   npm run bench -- loki-json loki-json-batch otel-sdk-batch loki-1-record   batching: with and
 *                                                          without `batch`, an OTel SDK flood, Loki pushes
 *   npm run bench -- llm-proxy-loki-off llm-proxy-loki-on   the llm-proxy profile's added latency:
 *                                                          request round trips (p50, p99), Loki off and on
 *   BENCH_COMPARE=../other-checkout npm run bench         each scenario also against another built
 *                                                          checkout's collector, in the same run
 *   BENCH_ROUNDS=3 npm run bench   rounds (default 1): every scenario once per round, interleaved,
 *                                  so a burst of load elsewhere hits all of them; the table shows
 *                                  medians and the CPU figure's range across rounds
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { countLogRecords } from '@sluice/pdata';
import { encodeLogsProto } from '@sluice/pdata';
import { generateLoad, type LoadResult } from './load';
import { benchRequest } from './payload';
import { cpuSeconds, peakRssMb } from './proc';
import type { PushStats } from '../test/support/loki/sink-main';
import { scenarios, type Scenario, type Sink } from './scenarios';
import { formatSdkBench, runSdkBench, type SdkBenchResult } from './sdk';

const ROOT = resolve(__dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
/** Another built checkout whose collector runs each scenario right after this one's: a before/after in one run. */
const COMPARE = process.env.BENCH_COMPARE ? resolve(process.env.BENCH_COMPARE) : undefined;

interface Row {
  name: string;
  recordsPerSecond: number;
  cpuPerMillion: number;
  /** Lowest and highest CPU-s per million records across rounds. */
  cpuRange: [number, number];
  peakRssMb: number;
  failed: number;
  requests: number;
  /** Records the client dropped before sending (an SDK's full queue). */
  dropped: number | undefined;
  /** What the Loki sink received for the measured load. */
  pushes: PushStats | undefined;
  /**
   * CPU-seconds per million records of the processes the collector sends to (the Loki sink, the
   * discarding gateway): they share these cores, and a busy one leaves the collector less of them.
   */
  sinkCpuPerMillion: number | undefined;
  /** Request round trips, for scenarios that measure them. */
  latencyMs: LoadResult['latencyMs'];
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length > 0 ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
  if (selected.length > 0 && !selected.some((s) => s.name === 'baseline')) selected.unshift(scenarios[0]!);
  const request = benchRequest(100);
  const body = encodeLogsProto(request);
  const records = countLogRecords(request);
  process.stdout.write(
    `load: 8 keep-alive connections, OTLP/HTTP protobuf, ${records} records a request, ${(body.length / records).toFixed(0)} bytes a record; ${SECONDS}s a scenario after ${WARMUP_SECONDS}s warm-up; ${availableParallelism()} cores\n\n`,
  );

  const rounds = new Map<string, Row[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of selected) {
      const roots = scenario.config && COMPARE ? [ROOT, COMPARE] : [ROOT];
      for (const root of roots) {
        const work = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
        try {
          const row = await measure(scenario, work, body, records, root);
          const name = root === ROOT ? row.name : `${row.name} @${root}`;
          rounds.set(name, [...(rounds.get(name) ?? []), { ...row, name }]);
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      }
    }
  }
  const rows = [...rounds.values()].map(medianRow);
  if (rows.length > 0) printTable(rows, selected);
  let sdk: SdkBenchResult | undefined;
  if (wanted.length === 0 || wanted.includes('sdk')) {
    process.stdout.write('\nSDK: nanoseconds per log call on the app thread\n');
    sdk = await runSdkBench();
    process.stdout.write(formatSdkBench(sdk) + '\n');
  }
  await writeResults(rows, sdk);
}

/**
 * The run's figures as JSON (`bench/results/latest.json`, git-ignored), so runs on different
 * commits can be compared without re-reading the tables.
 */
async function writeResults(rows: Row[], sdk: SdkBenchResult | undefined): Promise<void> {
  const floor = rows.find((r) => r.name === 'baseline')?.cpuPerMillion;
  const file = join(ROOT, 'bench', 'results', 'latest.json');
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    seconds: SECONDS,
    rounds: ROUNDS,
    scenarios: rows.map((r) => ({
      name: r.name,
      records_per_second: Math.round(r.recordsPerSecond),
      cpu_seconds_per_million: r.cpuPerMillion,
      cpu_range: r.cpuRange,
      times_floor: floor ? r.cpuPerMillion / floor : null,
      peak_rss_mb: Math.round(r.peakRssMb),
      failed_requests: r.failed,
      ...(r.sinkCpuPerMillion !== undefined ? { sink_cpu_seconds_per_million: r.sinkCpuPerMillion } : {}),
      ...(r.pushes ? { loki_pushes: r.pushes.pushes, requests: r.requests } : {}),
      ...(r.latencyMs ? { latency_ms: r.latencyMs } : {}),
    })),
    ...(sdk ? { sdk } : {}),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nfigures written to ${file}\n`);
}

async function measure(scenario: Scenario, work: string, body: Uint8Array, records: number, root: string): Promise<Row> {
  const sidecars: ChildProcess[] = [];
  const sink = await scenario.prepare?.(work, (child) => sidecars.push(child));
  let args: string[];
  if (scenario.config) {
    const configPath = join(work, 'config.yaml');
    await writeFile(configPath, scenario.config(work, sink?.env ?? {}));
    args = [join(root, 'packages/collector/bin/sluice.js'), '--config', configPath];
  } else {
    args = [join(ROOT, 'bench/dist/baseline-server.js')];
  }
  const { child, url } = await startChild(args);
  try {
    // A scenario may bring its own requests (same size), e.g. records spread over many servers.
    const bodies = scenario.requests ? scenario.requests(records).map((r) => encodeLogsProto(r)) : [body];
    await generateLoad(url, bodies, records, WARMUP_SECONDS);
    await quietPushes(sink); // the warm-up's pushes are not the measured load's
    const sinkCpu = () => sidecars.reduce((sum, sidecar) => sum + cpuSeconds(sidecar.pid!), 0);
    const cpuBefore = cpuSeconds(child.pid!);
    const sinkCpuBefore = sinkCpu();
    const load = scenario.drive ? await scenario.drive(url, SECONDS) : await generateLoad(url, bodies, records, SECONDS);
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    const sinkCpuUsed = sinkCpu() - sinkCpuBefore;
    return {
      name: scenario.name,
      recordsPerSecond: load.records / load.seconds,
      cpuPerMillion: load.records > 0 ? (cpu / load.records) * 1e6 : NaN,
      cpuRange: [0, 0], // filled in across rounds by medianRow
      peakRssMb: peakRssMb(child.pid!),
      failed: load.failed,
      requests: load.requests,
      dropped: load.dropped,
      pushes: await quietPushes(sink),
      sinkCpuPerMillion: sidecars.length > 0 && load.records > 0 ? (sinkCpuUsed / load.records) * 1e6 : undefined,
      latencyMs: load.latencyMs,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    for (const sidecar of sidecars) sidecar.kill('SIGTERM');
  }
}

/** One scenario's rounds as one row: the round with the median CPU figure, the median records/s, the CPU range and the highest RSS. */
function medianRow(rows: Row[]): Row {
  const sorted = [...rows].sort((a, b) => a.cpuPerMillion - b.cpuPerMillion);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const rates = rows.map((r) => r.recordsPerSecond).sort((a, b) => a - b);
  return {
    ...median,
    recordsPerSecond: rates[Math.floor((rates.length - 1) / 2)]!,
    cpuRange: [sorted[0]!.cpuPerMillion, sorted[sorted.length - 1]!.cpuPerMillion],
    peakRssMb: Math.max(...rows.map((r) => r.peakRssMb)),
  };
}

/**
 * The pushes a sink receives until it has had none for a moment: the collector answers a request
 * when the data is queued, so pushes go on after the load ends.
 */
async function quietPushes(sink: Sink | undefined): Promise<PushStats | undefined> {
  if (!sink?.stats) return undefined;
  const total = await sink.stats();
  for (;;) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    const more = await sink.stats();
    if (more.pushes === 0) return total;
    total.pushes += more.pushes;
    total.entries += more.entries;
    total.maxPushEntries = Math.max(total.maxPushEntries, more.maxPushEntries);
    total.maxPushEntryBytes = Math.max(total.maxPushEntryBytes, more.maxPushEntryBytes);
    total.maxPushWireBytes = Math.max(total.maxPushWireBytes, more.maxPushWireBytes);
  }
}

/** Starts a child that prints an `otlp/http` (or `baseline`) address in its startup banner. */
function startChild(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^ {2}(?:otlp\/http|baseline)\s+(http:\/\/\S+\/v1\/logs)/m.exec(out);
      if (match && /running \(/.test(out)) resolveStart({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before starting:\n${out}`)));
  });
}

function printTable(rows: Row[], described: Scenario[]): void {
  const floor = rows.find((r) => r.name === 'baseline')?.cpuPerMillion;
  const header = [
    'scenario',
    'records/s',
    'CPU-s per M records',
    `range (${ROUNDS} rounds)`,
    '× baseline',
    'peak RSS MB',
    'failed requests',
    'sink CPU-s per M',
  ];
  const lines = rows.map((r) => [
    r.name,
    Math.round(r.recordsPerSecond).toLocaleString('en-US'),
    r.cpuPerMillion.toFixed(2),
    `${r.cpuRange[0].toFixed(2)}–${r.cpuRange[1].toFixed(2)}`,
    floor ? (r.cpuPerMillion / floor).toFixed(2) : '-',
    r.peakRssMb.toFixed(0),
    String(r.failed),
    r.sinkCpuPerMillion === undefined ? '-' : r.sinkCpuPerMillion.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(format(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const line of lines) process.stdout.write(format(line) + '\n');
  process.stdout.write('\n');
  for (const scenario of described) process.stdout.write(`  ${scenario.name.padEnd(widths[0]!)}  ${scenario.description}\n`);
  process.stdout.write('  sink CPU: the processes the collector sends to (Loki sink, gateway), on the same cores\n');
  printPushTable(rows);
  printLatencyTable(rows);
}

/** Request round trips of the scenarios that measure them (the median round's). */
function printLatencyTable(rows: Row[]): void {
  const timed = rows.filter((r) => r.latencyMs !== undefined);
  if (timed.length === 0) return;
  const width = Math.max(...timed.map((r) => r.name.length));
  process.stdout.write('\nOTLP/HTTP request round trip, one request at a time\n');
  process.stdout.write(`${'scenario'.padEnd(width)}  requests   p50 ms   p99 ms\n`);
  for (const r of timed) {
    const { p50, p99 } = r.latencyMs!;
    process.stdout.write(
      `${r.name.padEnd(width)}  ${r.requests.toLocaleString('en-US').padStart(8)}  ${p50.toFixed(3).padStart(7)}  ${p99.toFixed(3).padStart(7)}\n`,
    );
  }
}

/** What Loki received for each scenario's measured load: how many pushes for how many requests, and the largest. */
function printPushTable(rows: Row[]): void {
  const withPushes = rows.filter((r) => r.pushes !== undefined);
  if (withPushes.length === 0) return;
  const header = [
    'scenario',
    'requests',
    'dropped by client',
    'Loki pushes',
    'requests per push',
    'entries',
    'max entries/push',
    'max KiB/push',
    'max wire KiB/push',
  ];
  const lines = withPushes.map((r) => {
    const p = r.pushes!;
    return [
      r.name,
      r.requests.toLocaleString('en-US'),
      r.dropped === undefined ? '-' : r.dropped.toLocaleString('en-US'),
      p.pushes.toLocaleString('en-US'),
      p.pushes > 0 ? (r.requests / p.pushes).toFixed(1) : '-',
      p.entries.toLocaleString('en-US'),
      p.maxPushEntries.toLocaleString('en-US'),
      (p.maxPushEntryBytes / 1024).toFixed(1),
      (p.maxPushWireBytes / 1024).toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write('\nLoki pushes for the measured load (KiB: line + structured metadata bytes, what Loki rate-limits)\n');
  process.stdout.write(format(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const line of lines) process.stdout.write(format(line) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
