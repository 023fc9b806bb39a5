/** Shared test fixtures for the exporter helper tests. */
import { z } from 'zod';
import { createMemoryLogger } from '../src/logger';
import { Telemetry } from '../src/telemetry/telemetry';
import type { CreateSettings, Extension, Host } from '../src/component';
import { exporterHelperShape } from '../src/exporterhelper/config';
import type { ExporterHelperConfig } from '../src/exporterhelper/config';
import type { Clock } from '../src/exporterhelper/clock';
import { newLogRecord } from '@sluice/pdata';
import type { LogsData } from '@sluice/pdata';

/** A clock whose sleeps return at once and move time forward; it remembers every sleep asked for. */
export function instantClock(start = 1_700_000_000_000): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.resolve();
      sleeps.push(ms);
      now += ms;
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

export function testSettings(id = 'loki') {
  const logger = createMemoryLogger();
  const telemetry = new Telemetry();
  const settings: CreateSettings = { id, kind: 'exporter', logger, telemetry };
  return { settings, logger, telemetry };
}

/** The helper config as a user would write it, parsed by the real schema. */
export function helperConfig(input: Record<string, unknown> = {}): ExporterHelperConfig {
  return z.object(exporterHelperShape()).strict().parse(input);
}

/** A batch of `records` log records whose bodies say which batch they belong to. */
export function makeLogs(batch: number, records = 1, bodyBytes = 16): LogsData {
  const pad = 'x'.repeat(bodyBytes);
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'test' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'scope', version: '1', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: Array.from({ length: records }, (_, i) =>
              newLogRecord({ body: `batch ${batch} record ${i} ${pad}`, timeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) }),
            ),
          },
        ],
      },
    ],
  };
}

/** Which batch a LogsData made by makeLogs came from. */
export function batchOf(logs: LogsData): number {
  const body = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body as string;
  return Number(/^batch (\d+)/.exec(body)![1]);
}

export function hostWith(extensions: Record<string, Extension> = {}): Host {
  return {
    getExtension: (id) => extensions[id],
    getExporters: () => new Map(),
  };
}

/** Resolves when `condition` holds, checking every turn of the event loop; a 10s guard turns a hang into a failure. */
export async function waitFor(condition: () => boolean, what = 'condition'): Promise<void> {
  const giveUp = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A promise with its resolve exposed: a gate a test opens when it chooses. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The value of one Prometheus sample line in a scrape, or undefined. */
export function sample(scrape: string, name: string, labels: string): number | undefined {
  for (const line of scrape.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
