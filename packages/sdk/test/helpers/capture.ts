import assert from 'node:assert/strict';
import { trace, context, TraceFlags, type Context } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createLogBridge, type LogBridge } from '../../src/bridge';
import { RateLimitedWarner } from '@sluice/pdata';
import type { LogBridgeOptions } from '../../src/options';

export interface CapturingBridge {
  bridge: LogBridge;
  exporter: InMemoryLogRecordExporter;
  warnings: string[];
  /** Flushes and returns everything exported so far. */
  records: () => Promise<ReadableLogRecord[]>;
}

type Tuple<T, N extends number, Acc extends T[] = []> = Acc['length'] extends N ? Acc : Tuple<T, N, [...Acc, T]>;

/** Asserts there are exactly `count` records and returns them as a tuple, ready to destructure. */
export function exactly<N extends number>(records: ReadableLogRecord[], count: N): Tuple<ReadableLogRecord, N> {
  assert.equal(records.length, count, `expected ${count} records, got ${records.length}`);
  return records as unknown as Tuple<ReadableLogRecord, N>;
}

/** A bridge whose exporter keeps records in memory: for adapter and mapping tests. */
export function capturingBridge(options: LogBridgeOptions = {}): CapturingBridge {
  const exporter = new InMemoryLogRecordExporter();
  const warnings: string[] = [];
  const warner = new RateLimitedWarner(60_000, (line) => warnings.push(line));
  const bridge = createLogBridge({ handleSignals: false, serviceName: 'unit', ...options }, exporter, warner);
  return {
    bridge,
    exporter,
    warnings,
    async records() {
      await bridge.forceFlush();
      return exporter.getFinishedLogRecords();
    },
  };
}

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const SPAN_ID = 'b7ad6b7169203331';

/** A context whose active span has the ids above. */
export function spanContext(): Context {
  return trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
}
