import type { CreateSettings, Host, LogsConsumer, Processor } from '@sluice/core';
import type { ClientContext, LogsData, ResourceLogs } from '@sluice/pdata';
import type { FilterConfig } from './config';
import { compileCondition, type Condition } from './ottl/compile';

/**
 * Drops every record for which any condition is true, and the scopes and resources left empty.
 * When nothing is left the data counts as delivered, as otelcol's filter does.
 *
 * `error_mode` is accepted for otelcol parity: in the supported subset no condition can fail at
 * run time (OTTL compares mismatched types as unequal rather than raising an error).
 */
export class FilterProcessor implements Processor {
  private readonly conditions: Condition[];
  private readonly filtered: { inc(count: number): void };

  constructor(
    settings: CreateSettings,
    config: FilterConfig,
    private readonly next: LogsConsumer,
  ) {
    this.conditions = config.logs.log_record.map(compileCondition);
    this.filtered = settings.telemetry
      .counter('otelcol_processor_filter_logs_filtered_total', 'Log records dropped by the filter processor.', ['filter'])
      .labels({ filter: settings.id });
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {}

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    if (this.conditions.length === 0) return this.next.consume(logs, context);
    let dropped = 0;
    const kept: ResourceLogs[] = [];
    for (const resourceLogs of logs.resourceLogs) {
      const { resource } = resourceLogs;
      resourceLogs.scopeLogs = resourceLogs.scopeLogs.filter((scopeLogs) => {
        const before = scopeLogs.logRecords.length;
        scopeLogs.logRecords = scopeLogs.logRecords.filter((record) => !this.conditions.some((c) => c(record, resource, scopeLogs.scope)));
        dropped += before - scopeLogs.logRecords.length;
        return scopeLogs.logRecords.length > 0;
      });
      if (resourceLogs.scopeLogs.length > 0) kept.push(resourceLogs);
    }
    if (dropped > 0) this.filtered.inc(dropped);
    logs.resourceLogs = kept;
    if (kept.length === 0) return Promise.resolve();
    return this.next.consume(logs, context);
  }
}
