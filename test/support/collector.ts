import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type RunningCollector, type StartOptions } from '@sluice/collector';
import { createMemoryLogger } from '@sluice/core';
import { type LogRecord, type LogsData, type ResourceLogs, type ScopeLogs } from '@sluice/pdata';
import { decodeLogsJson } from '@sluice/pdata';

/** A temp directory removed by the returned cleanup. */
export async function tempDir(prefix = 'sluice-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts an in-process collector from YAML, with a memory logger so tests can read its log. */
export async function startTestCollector(configText: string, options: Partial<StartOptions> = {}) {
  const logger = createMemoryLogger();
  const collector: RunningCollector = await startCollector({ configText, logger, ...options });
  return { collector, logger };
}

export interface FlatRecord {
  resource: ResourceLogs['resource'];
  scope: ScopeLogs['scope'];
  record: LogRecord;
}

/** Reads a `format: json` JSONL file (one OTLP/JSON LogsData a line) back into the data model. */
export async function readJsonlLogs(path: string): Promise<LogsData[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => decodeLogsJson(line));
}

export function flatten(batches: readonly LogsData[]): FlatRecord[] {
  const out: FlatRecord[] = [];
  for (const logs of batches) {
    for (const rl of logs.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const record of sl.logRecords) out.push({ resource: rl.resource, scope: sl.scope, record });
      }
    }
  }
  return out;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The value of one Prometheus sample, e.g. metricValue(text, 'otelcol_receiver_accepted_log_records_total', { transport: 'http' }). */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(match[4]);
  }
  return total;
}

/** What `otelcol_receiver_refused_log_records_total` counts so far for one receiver transport (`http`, `grpc`); 0 before the first refusal. */
export async function refusedRecords(collector: RunningCollector, transport: string): Promise<number> {
  return metricValue(await collector.telemetry.scrape(), 'otelcol_receiver_refused_log_records_total', { transport }) ?? 0;
}

/** Polls a JSONL file until it holds at least `count` records, and returns them all. */
export function waitForRecords(path: string, count: number, what = `${count} records in ${path}`): Promise<FlatRecord[]> {
  return waitFor(
    async () => {
      const found = flatten(await readJsonlLogs(path));
      return found.length >= count ? found : undefined;
    },
    10_000,
    what,
  );
}
