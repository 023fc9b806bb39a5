import { z } from 'zod';
import { section, type ExporterFactory, type Exporter } from '@sluice/core';
import { anyValueToString, countLogRecords, type LogRecord, type LogsData, type KeyValue } from '@sluice/pdata';

const debugSchema = section({
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
  sampling_initial: z.number().int().positive().default(2),
  sampling_thereafter: z.number().int().positive().default(1),
});
type DebugConfig = z.infer<typeof debugSchema>;

/**
 * otelcol's `debug` exporter: prints what passes through to stderr. Sampling as otelcol's:
 * per second, the first `sampling_initial` batches are printed, then every `sampling_thereafter`-th.
 */
class DebugExporter implements Exporter {
  private second = 0;
  private seenThisSecond = 0;

  constructor(
    private readonly id: string,
    private readonly config: DebugConfig,
    private readonly write: (text: string) => void,
  ) {}

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}

  consume(logs: LogsData): Promise<void> {
    if (!this.sampled()) return Promise.resolve();
    const records = countLogRecords(logs);
    let out = `${new Date().toISOString()}\tinfo\tLogs\t{"exporter": "${this.id}", "resource logs": ${logs.resourceLogs.length}, "log records": ${records}}\n`;
    if (this.config.verbosity !== 'basic') out += this.describe(logs);
    this.write(out);
    return Promise.resolve();
  }

  private sampled(): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.seenThisSecond = 0;
    }
    this.seenThisSecond++;
    if (this.seenThisSecond <= this.config.sampling_initial) return true;
    return (this.seenThisSecond - this.config.sampling_initial) % this.config.sampling_thereafter === 0;
  }

  private describe(logs: LogsData): string {
    const detailed = this.config.verbosity === 'detailed';
    let out = '';
    logs.resourceLogs.forEach((rl, i) => {
      if (detailed) out += `ResourceLog #${i}\nResource attributes:\n${attributes(rl.resource.attributes)}`;
      rl.scopeLogs.forEach((sl, j) => {
        if (detailed) out += `ScopeLogs #${j}\nInstrumentationScope ${sl.scope.name} ${sl.scope.version}\n`;
        sl.logRecords.forEach((record, k) => {
          out += detailed ? detailedRecord(k, record) : `${normalRecord(record)}\n`;
        });
      });
    });
    return out;
  }
}

function normalRecord(record: LogRecord): string {
  const attrs = record.attributes.map((kv) => `${kv.key}=${anyValueToString(kv.value)}`).join(' ');
  return `${record.severityText || record.severityNumber} ${anyValueToString(record.body)}${attrs ? ' ' + attrs : ''}`;
}

function detailedRecord(index: number, record: LogRecord): string {
  return (
    `LogRecord #${index}\n` +
    `Timestamp: ${record.timeUnixNano}\nObservedTimestamp: ${record.observedTimeUnixNano}\n` +
    `SeverityText: ${record.severityText}\nSeverityNumber: ${record.severityNumber}\n` +
    `Body: ${anyValueToString(record.body)}\nAttributes:\n${attributes(record.attributes)}` +
    `Trace ID: ${record.traceId}\nSpan ID: ${record.spanId}\nFlags: ${record.flags}\n`
  );
}

function attributes(list: readonly KeyValue[]): string {
  return list.map((kv) => `     -> ${kv.key}: ${anyValueToString(kv.value)}\n`).join('');
}

export const debugExporterFactory: ExporterFactory<DebugConfig> = {
  kind: 'exporter',
  type: 'debug',
  description: 'prints log records to stderr (verbosity basic | normal | detailed)',
  configSchema: debugSchema,
  unsupportedKeys: { use_internal_logger: { effect: 'ignore', why: 'the debug exporter always writes to stderr' } },
  create: (settings, config) => new DebugExporter(settings.id, config, (text) => process.stderr.write(text)),
};
