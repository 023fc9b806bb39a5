import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { BridgeCounters } from './stats';
import type { FallbackFile } from './fallback-file';
import type { RateLimitedWarner } from '@sluice/pdata';

/**
 * Wraps the OTLP exporter to count what was delivered and what failed, warn (rate-limited) about
 * failures, and hand undeliverable records to the fallback file.
 */
export class DeliveryExporter implements LogRecordExporter {
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly counters: BridgeCounters,
    private readonly warner: RateLimitedWarner,
    private readonly fallback: FallbackFile | undefined,
  ) {}

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.counters.handedToExporter += records.length;
    let settled = false;
    const settle = (result: ExportResult): void => {
      if (settled) return;
      settled = true;
      if (result.code === ExportResultCode.SUCCESS) {
        this.counters.exported += records.length;
      } else {
        this.recordFailure(records, result.error);
      }
      resultCallback(result);
    };
    try {
      this.inner.export(records, settle);
    } catch (error) {
      settle({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  private recordFailure(records: ReadableLogRecord[], error: Error | undefined): void {
    const message = error?.message || 'export failed';
    this.counters.failed += records.length;
    this.counters.lastError = { message, time: new Date() };
    this.fallback?.append(records);
    const where = this.fallback ? `; written to ${this.fallback.path}` : '';
    this.warner.warn('export', `could not deliver ${records.length} log records: ${message}${where}`);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.inner.shutdown();
    await this.fallback?.close();
  }
}
