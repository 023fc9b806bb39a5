import { newLogRecord, type AnyValue, type KeyValue, type LogRecord, type LogsData } from '@sluice/pdata';

export function kv(attributes: Record<string, AnyValue>): KeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value }));
}

/** One resource with one scope holding `records`. */
export function logsOf(
  resource: Record<string, AnyValue>,
  records: Partial<LogRecord>[],
  scope = { name: 'app', version: '1.0' },
): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: kv(resource), droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { ...scope, attributes: [], droppedAttributesCount: 0 },
            logRecords: records.map((fields) => newLogRecord(fields)),
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

/** Parses `{a="b", c="d"}` as written by formatLabels (test-side, deliberately naive). */
export function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    out[match[1]!] = JSON.parse(`"${match[2]}"`) as string;
  return out;
}

export const T0 = 1_700_000_000_000_000_000n;
