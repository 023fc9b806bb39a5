import assert from 'node:assert/strict';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BackoffExporter } from '../src/backoff-exporter';
import { createLogBridge } from '../src/bridge';
import { RateLimitedWarner } from '@sluice/pdata';

/** Settles each export with the next scripted result, synchronously, and counts the calls. */
class ScriptedExporter implements LogRecordExporter {
  calls = 0;
  constructor(private readonly results: Array<ExportResultCode | 'throw'>) {}
  export(_records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    const next = this.results[this.calls++] ?? ExportResultCode.SUCCESS;
    if (next === 'throw') throw new Error('exporter blew up');
    done(next === ExportResultCode.SUCCESS ? { code: next } : { code: next, error: new Error('connect ECONNREFUSED') });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function exportOnce(exporter: LogRecordExporter): { result: Promise<ExportResult> } {
  return { result: new Promise((resolve) => exporter.export([], resolve)) };
}

describe('backoff after a failed export', () => {
  it('holds the next export after a failure, and a flush releases it at once', async () => {
    const inner = new ScriptedExporter([ExportResultCode.FAILED, ExportResultCode.SUCCESS]);
    const now = 0;
    const exporter = new BackoffExporter(inner, { initialDelayMs: 60_000 }, () => now);
    assert.equal((await exportOnce(exporter).result).code, ExportResultCode.FAILED);
    const held = exportOnce(exporter);
    assert.equal(inner.calls, 1, 'the second batch is not sent during the backoff');
    await exporter.forceFlush();
    assert.equal(inner.calls, 2);
    assert.equal((await held.result).code, ExportResultCode.SUCCESS);
    // After a success there is no hold: the next export goes straight through.
    await exportOnce(exporter).result;
    assert.equal(inner.calls, 3);
  });

  it('sends a held batch by itself once the backoff has passed', async () => {
    const inner = new ScriptedExporter([ExportResultCode.FAILED]);
    const exporter = new BackoffExporter(inner, { initialDelayMs: 5 });
    await exportOnce(exporter).result;
    const result = await exportOnce(exporter).result;
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.equal(inner.calls, 2);
  });

  it('sends at once when the clock says the backoff is over', async () => {
    const inner = new ScriptedExporter([ExportResultCode.FAILED]);
    let now = 0;
    const exporter = new BackoffExporter(
      inner,
      { initialDelayMs: 1_000 },
      () => now,
      () => 0.5,
    ); // a middle draw: the hold is the interval
    await exportOnce(exporter).result;
    now = 1_000;
    exportOnce(exporter);
    assert.equal(inner.calls, 2);
  });

  it('jitters the hold: app instances cut off together do not all retry at the same moment', async () => {
    // After one failure with a 1,000 ms interval the hold is drawn from [500, 1,500) ms.
    const sentAt500 = async (draw: number): Promise<boolean> => {
      const inner = new ScriptedExporter([ExportResultCode.FAILED]);
      let now = 0;
      const exporter = new BackoffExporter(
        inner,
        { initialDelayMs: 1_000 },
        () => now,
        () => draw,
      );
      await exportOnce(exporter).result;
      now = 500;
      exportOnce(exporter);
      const sent = inner.calls === 2;
      await exporter.shutdown();
      return sent;
    };
    assert.equal(await sentAt500(0), true, 'the lowest draw holds for half the interval');
    assert.equal(await sentAt500(0.5), false, 'a middle draw holds for the whole interval');
  });

  it('grows the hold with each failure in a row and starts over after a success', async () => {
    const inner = new ScriptedExporter([
      ExportResultCode.FAILED,
      ExportResultCode.FAILED,
      ExportResultCode.SUCCESS,
      ExportResultCode.FAILED,
    ]);
    let now = 0;
    const exporter = new BackoffExporter(
      inner,
      { initialDelayMs: 100, maxDelayMs: 1_000 },
      () => now,
      () => 0.5,
    );
    await exportOnce(exporter).result; // fails: hold 100
    now = 100;
    await exportOnce(exporter).result; // fails: hold 200
    now = 299;
    const held = exportOnce(exporter);
    assert.equal(inner.calls, 2, 'the second hold is twice the first');
    now = 300;
    await exporter.forceFlush();
    await held.result; // succeeds: no hold
    await exportOnce(exporter).result; // fails: hold 100 again
    now = 400;
    exportOnce(exporter);
    assert.equal(inner.calls, 5, 'after a success the hold starts from the first interval again');
  });

  it('bounds every hold by its own cap plus jitter (longestHoldMs, which the bridge adds to its export timeout)', async () => {
    assert.equal(new BackoffExporter(new ScriptedExporter([])).longestHoldMs, 45_000, 'the default cap, 30 s, plus half');
    const inner = new ScriptedExporter([ExportResultCode.FAILED, ExportResultCode.FAILED, ExportResultCode.FAILED]);
    let now = 0;
    // The largest jitter, and a first interval already at the cap.
    const exporter = new BackoffExporter(
      inner,
      { initialDelayMs: 1_000, maxDelayMs: 1_000 },
      () => now,
      () => 0.999_999,
    );
    assert.equal(exporter.longestHoldMs, 1_500);
    await exportOnce(exporter).result;
    now = exporter.longestHoldMs - 10;
    exportOnce(exporter);
    assert.equal(inner.calls, 1, 'held almost as long as the longest hold');
    now = exporter.longestHoldMs;
    await exporter.forceFlush(); // releases the held batch, which fails again
    now += exporter.longestHoldMs;
    exportOnce(exporter);
    assert.equal(inner.calls, 3, 'a hold never outlasts longestHoldMs');
  });

  it('turns an exporter that throws from a held send into a failed result, not an uncaught error', async () => {
    const inner = new ScriptedExporter([ExportResultCode.FAILED, 'throw']);
    const exporter = new BackoffExporter(inner, { initialDelayMs: 5 });
    await exportOnce(exporter).result;
    const result = await exportOnce(exporter).result;
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.match(result.error?.message ?? '', /exporter blew up/);
  });

  it('in the bridge: an outage costs one failed export, the queue fills, the overflow is dropped, a flush delivers the rest', async () => {
    const inner = new ScriptedExporter([ExportResultCode.FAILED]);
    const bridge = createLogBridge(
      { handleSignals: false, maxQueueSize: 100, maxExportBatchSize: 10, scheduledDelayMillis: 1 },
      inner,
      new RateLimitedWarner(60_000, () => undefined),
    );
    const logger = bridge.logger();
    let maxQueued = 0;
    for (let tick = 0; tick < 50; tick++) {
      for (let i = 0; i < 10; i++) logger.emit({ body: `r${tick}-${i}` });
      maxQueued = Math.max(maxQueued, bridge.stats().queued);
      await new Promise(setImmediate);
    }
    const during = bridge.stats();
    assert.equal(inner.calls, 1, 'no batch is serialised while the backoff holds');
    assert.equal(during.failed, 10);
    assert.ok(maxQueued <= 100);
    assert.equal(during.emitted, 500);
    assert.ok(during.dropped > 0);
    await bridge.shutdown();
    const after = bridge.stats();
    assert.equal(after.exported + after.failed + after.dropped, 500, 'every record is accounted for');
    assert.equal(after.queued, 0);
  });
});
