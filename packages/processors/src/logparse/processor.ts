import type { CreateSettings, Host, LogsConsumer, Processor } from '@sluice/core';
import type { ClientContext, LogRecord, LogsData } from '@sluice/pdata';
import type { LogparseConfig } from './config';
import { DEFAULT_KEYS } from './fields';
import { liftFields, roleMap } from './lift';
import { parseLogfmt } from './logfmt';

/** Where the unparsed text goes when `keep_original` is on (the semantic-convention name). */
export const ORIGINAL_ATTRIBUTE = 'log.record.original';

/**
 * Parses JSON or logfmt string bodies and lifts their fields into the record. Bodies that are
 * not strings pass untouched; strings that do not parse pass untouched and are counted.
 */
export class LogparseProcessor implements Processor {
  private readonly roles: ReturnType<typeof roleMap>;
  private readonly unparsed: { inc(count: number): void };

  constructor(
    settings: CreateSettings,
    private readonly config: LogparseConfig,
    private readonly next: LogsConsumer,
  ) {
    this.roles = roleMap({ ...DEFAULT_KEYS, ...stripUndefined(config.keys) });
    this.unparsed = settings.telemetry
      .counter('sluice_processor_logparse_unparsed_total', 'String bodies that were neither JSON nor logfmt and passed unchanged.', [
        'processor',
      ])
      .labels({ processor: settings.id });
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {}

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    let unparsed = 0;
    for (const resourceLogs of logs.resourceLogs) {
      for (const scopeLogs of resourceLogs.scopeLogs) {
        for (const record of scopeLogs.logRecords) {
          if (typeof record.body === 'string' && !this.parse(record, record.body)) unparsed++;
        }
      }
    }
    if (unparsed > 0) this.unparsed.inc(unparsed);
    return this.next.consume(logs, context);
  }

  private parse(record: LogRecord, text: string): boolean {
    const fields = this.fieldsOf(text);
    if (!fields) return false;
    if (this.config.keep_original) record.attributes.push({ key: ORIGINAL_ATTRIBUTE, value: text });
    liftFields(record, fields, this.roles);
    return true;
  }

  private fieldsOf(text: string): Iterable<[string, unknown]> | undefined {
    const format = this.config.format;
    const trimmed = text.trim();
    if (format !== 'logfmt' && trimmed.startsWith('{')) {
      const object = parseJsonObject(trimmed);
      if (object) return Object.entries(object);
    }
    if (format === 'json') return undefined;
    return parseLogfmt(trimmed);
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stripUndefined<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as never;
}
