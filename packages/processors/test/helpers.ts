import { Telemetry, createMemoryLogger, type CreateSettings, type LogsConsumer, type ProcessorFactory } from '@sluice/core';
import { emptyResource, emptyScope, newLogRecord, type ClientContext, type KeyValue, type LogRecord, type LogsData } from '@sluice/pdata';

export function settingsFor(id: string): CreateSettings & { telemetry: Telemetry } {
  return { id, kind: 'processor', logger: createMemoryLogger(), telemetry: new Telemetry() };
}

/** A next consumer that keeps what it receives; `answer` decides each call's outcome. */
export class CapturingConsumer implements LogsConsumer {
  readonly received: Array<{ logs: LogsData; context: ClientContext }> = [];
  answer: (logs: LogsData) => Promise<void> = () => Promise.resolve();

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    this.received.push({ logs, context });
    return this.answer(logs);
  }

  records(): LogRecord[] {
    return this.received.flatMap(({ logs }) => logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
  }
}

/** One resource with the given attributes holding these records in one scope. */
export function logsOf(records: Partial<LogRecord>[], resourceAttributes: KeyValue[] = []): LogsData {
  return {
    resourceLogs: [
      {
        resource: { ...emptyResource(), attributes: resourceAttributes },
        scopeLogs: [{ scope: emptyScope(), logRecords: records.map((r) => newLogRecord(r)), schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

/** Validates a config as the loader will (the factory's schema), returning the parsed value or the issues. */
export function parseConfig<C>(factory: ProcessorFactory<C>, input: unknown) {
  return factory.configSchema.safeParse(input);
}

export function configOf<C>(factory: ProcessorFactory<C>, input: unknown): C {
  const result = parseConfig(factory, input);
  if (!result.success) throw new Error(JSON.stringify(result.error.issues));
  return result.data;
}

/** The issues of a config that must fail, as `path: message` lines. */
export function issuesOf<C>(factory: ProcessorFactory<C>, input: unknown): string[] {
  const result = parseConfig(factory, input);
  if (result.success) throw new Error('expected the config to be refused');
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** A metric's value for these labels; `suffix` picks a histogram series such as `_count` or `_sum`. */
export async function metricValue(
  telemetry: Telemetry,
  name: string,
  labels: Record<string, string>,
  suffix = '',
): Promise<number | undefined> {
  const metric = await telemetry.registry.getSingleMetric(name)?.get();
  const value = metric?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name + suffix && Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value;
}
