import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Telemetry, createMemoryLogger, type CreateSettings } from '@sluice/core';
import { newLogRecord, type KeyValue, type LogRecord, type LogsData } from '@sluice/pdata';
import { jsonlConfigSchema, type JsonlConfig } from '../src/config';
import { JsonlExporter, type JsonlExporterOptions } from '../src/exporter';

export function testSettings(id = 'jsonl') {
  const logger = createMemoryLogger();
  const telemetry = new Telemetry();
  const settings: CreateSettings = { id, kind: 'exporter', logger, telemetry };
  return { settings, logger, telemetry };
}

export function parseConfig(raw: Record<string, unknown>): JsonlConfig {
  return jsonlConfigSchema.parse(raw);
}

/** An exporter built from a raw config section, as the collector would build it. */
export function createExporter(raw: Record<string, unknown>, options?: JsonlExporterOptions) {
  const { settings, logger, telemetry } = testSettings();
  const exporter = new JsonlExporter(settings, parseConfig(raw), options);
  return { exporter, logger, telemetry };
}

export const noHost = { getExtension: () => undefined, getExporters: () => new Map() };

export async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `count` records under one resource; each body says which batch and record it is, so lines can be counted back. */
export function sampleLogs(
  count: number,
  options: { batch?: number; resource?: KeyValue[]; bodyPadding?: number; record?: Partial<LogRecord> } = {},
): LogsData {
  const batch = options.batch ?? 0;
  const padding = 'x'.repeat(options.bodyPadding ?? 0);
  const logRecords: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    logRecords.push(
      newLogRecord({
        timeUnixNano: 1_700_000_000_123_456_789n + BigInt(i),
        observedTimeUnixNano: 1_700_000_000_200_000_000n,
        severityNumber: 9,
        severityText: 'INFO',
        body: `batch ${batch} record ${i}${padding}`,
        attributes: [{ key: 'index', value: BigInt(i) }],
        traceId: '0102030405060708090a0b0c0d0e0f10',
        spanId: '1112131415161718',
        ...options.record,
      }),
    );
  }
  return {
    resourceLogs: [
      {
        resource: { attributes: options.resource ?? [{ key: 'service.name', value: 'checkout' }], droppedAttributesCount: 0 },
        scopeLogs: [
          { scope: { name: 'test-scope', version: '1.2.3', attributes: [], droppedAttributesCount: 0 }, logRecords, schemaUrl: '' },
        ],
        schemaUrl: '',
      },
    ],
  };
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
