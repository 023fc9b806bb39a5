import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createLogBridge } from '../src/bridge';
import { RateLimitedWarner } from '@sluice/pdata';

/** An exporter the test settles by hand: stands in for a collector that is slow or down. */
class HeldExporter implements LogRecordExporter {
  readonly pending: Array<{ records: ReadableLogRecord[]; done: (result: ExportResult) => void }> = [];
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.pending.push({ records, done });
  }
  failAll(message: string): void {
    for (const { done } of this.pending.splice(0)) done({ code: ExportResultCode.FAILED, error: new Error(message) });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

describe('bounded queue, failures and fallback file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-sdk-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never holds more than maxQueueSize, counts drops, warns once', async () => {
    const exporter = new HeldExporter();
    const warnings: string[] = [];
    const bridge = createLogBridge(
      { handleSignals: false, maxQueueSize: 100, maxExportBatchSize: 10, scheduledDelayMillis: 1, shutdownTimeoutMs: 50 },
      exporter,
      new RateLimitedWarner(60_000, (line) => warnings.push(line)),
    );
    const logger = bridge.logger();
    let maxQueued = 0;
    for (let i = 0; i < 1_000; i++) {
      logger.emit({ body: `r${i}` });
      maxQueued = Math.max(maxQueued, bridge.stats().queued);
    }
    const stats = bridge.stats();
    assert.equal(maxQueued, 100);
    assert.equal(stats.emitted, 1_000);
    assert.equal(stats.dropped, 900);
    assert.equal(warnings.filter((w) => /queue full/.test(w)).length, 1);
    exporter.failAll('unreachable');
    await bridge.shutdown();
  });

  it('counts a failed export, keeps the last error, warns, and appends the records to the fallback file', async () => {
    const exporter = new HeldExporter();
    const warnings: string[] = [];
    const fallbackFile = join(dir, 'undelivered.jsonl');
    const bridge = createLogBridge(
      { handleSignals: false, fallbackFile, serviceName: 'fb', scheduledDelayMillis: 1 },
      exporter,
      new RateLimitedWarner(60_000, (line) => warnings.push(line)),
    );
    bridge.logger('scope').emit({ body: 'keep me', severityText: 'ERROR', severityNumber: 17, attributes: { a: 1 } });
    bridge.logger('scope').emit({ body: 'me too' });
    while (exporter.pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    exporter.failAll('connection refused');
    await bridge.shutdown();
    const stats = bridge.stats();
    assert.equal(stats.failed, 2);
    assert.equal(stats.exported, 0);
    assert.equal(stats.lastError?.message, 'connection refused');
    assert.match(warnings.join(''), /could not deliver 2 log records: connection refused; written to/);
    const lines = (await readFile(fallbackFile, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            body: unknown;
            severity_number: number;
            attributes: unknown;
            resource: Record<string, unknown>;
            time_unix_nano: string;
          },
      );
    assert.deepEqual(
      lines.map((l) => l.body),
      ['keep me', 'me too'],
    );
    assert.equal(lines[0]!.severity_number, 17);
    assert.deepEqual(lines[0]!.attributes, { a: 1 });
    assert.equal(lines[0]!.resource['service.name'], 'fb');
    assert.match(lines[0]!.time_unix_nano, /^\d{19}$/);
  });
});
