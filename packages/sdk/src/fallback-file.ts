import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { HrTime } from '@opentelemetry/api';

function nanos(time: HrTime): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

function bytesAsBase64(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
}

/** One JSON line per record, in the flat shape the collector's jsonl exporter writes. */
export function recordToJsonLine(record: ReadableLogRecord): string {
  return (
    JSON.stringify(
      {
        time_unix_nano: nanos(record.hrTime),
        observed_time_unix_nano: nanos(record.hrTimeObserved),
        severity_number: record.severityNumber ?? 0,
        severity_text: record.severityText ?? '',
        body: record.body ?? null,
        attributes: record.attributes,
        resource: record.resource.attributes,
        scope: { name: record.instrumentationScope.name, version: record.instrumentationScope.version ?? '' },
        trace_id: record.spanContext?.traceId ?? '',
        span_id: record.spanContext?.spanId ?? '',
      },
      bytesAsBase64,
    ) + '\n'
  );
}

/** Appends undeliverable records to a local file so an outage loses nothing; opened on first use. */
export class FallbackFile {
  private stream: WriteStream | undefined;

  constructor(
    readonly path: string,
    private readonly onError: (error: Error) => void,
  ) {}

  append(records: readonly ReadableLogRecord[]): void {
    if (!this.stream) {
      this.stream = createWriteStream(this.path, { flags: 'a' });
      this.stream.on('error', this.onError);
    }
    let chunk = '';
    for (const record of records) chunk += recordToJsonLine(record);
    this.stream.write(chunk);
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.destroyed) return;
    stream.end();
    await once(stream, 'close').catch(() => undefined);
  }
}
