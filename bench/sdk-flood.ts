import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { LoadResult } from './load';

/** Records emitted between two turns of the event loop: a flood the SDK's 2,048-record queue can hold only if exports keep up. */
const BURST = 512;

/**
 * An app logging as fast as it can through the official OTel JS SDK: `BatchLogRecordProcessor`
 * with its defaults (512-record exports, 2,048-record queue) and the OTLP/HTTP protobuf exporter.
 * Counts the records the collector accepted, the exports it refused, and the records the SDK
 * dropped (its queue full) without sending.
 */
export async function floodWithSdk(url: string, seconds: number): Promise<LoadResult> {
  const otlp = new OTLPLogExporter({ url });
  let accepted = 0;
  let exports = 0;
  let failed = 0;
  let refused = 0;
  const counting: LogRecordExporter = {
    export(logs, done) {
      otlp.export(logs, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          accepted += logs.length;
          exports++;
        } else {
          failed++;
          refused += logs.length;
        }
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-sdk' }),
    processors: [new BatchLogRecordProcessor({ exporter: counting })],
  });
  const logger = provider.getLogger('bench');
  let emitted = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    for (let i = 0; i < BURST; i++) {
      logger.emit({
        severityNumber: 9,
        severityText: 'INFO',
        body: `request completed: POST /api/v1/checkout/${emitted + i} in 12ms, payment ok`,
        attributes: { 'http.route': '/api/v1/checkout/{id}', 'http.status_code': 200, i: emitted + i },
      });
    }
    emitted += BURST;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await provider.forceFlush();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  await provider.shutdown();
  return { requests: exports, records: accepted, failed, seconds: elapsed, dropped: emitted - accepted - refused };
}
