import type { ExportResult } from '@opentelemetry/core';
import { LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { newLogRecord, type AnyValue, type LogsData } from '@sluice/pdata';
import { encodeLogsProto } from '@sluice/pdata';

export interface OneResourceOptions {
  /** Resource attributes, e.g. `{ 'service.name': 'billing' }`. */
  resource?: Record<string, string>;
  scopeName?: string;
  /** Stamps record i with this time + i ns; without it records carry no timestamp. */
  firstTimeUnixNano?: bigint;
}

/** One resource and one scope holding a log record per body. */
export function logsWithBodies(bodies: readonly AnyValue[], options: OneResourceOptions = {}): LogsData {
  const { resource = {}, scopeName = '', firstTimeUnixNano } = options;
  return {
    resourceLogs: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value })), droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: scopeName, version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: bodies.map((body, i) =>
              newLogRecord(firstTimeUnixNano === undefined ? { body } : { body, timeUnixNano: firstTimeUnixNano + BigInt(i) }),
            ),
          },
        ],
      },
    ],
  };
}

/** POSTs `logs` as OTLP/HTTP protobuf to a receiver's `host:port` and reads the whole answer. */
export async function postOtlpHttp(receiverAddress: string, logs: LogsData): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`http://${receiverAddress}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeLogsProto(logs),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Sends one record through an official OTLP exporter and resolves with what the exporter reports. */
export function exportOnce(exporter: LogRecordExporter, body: string): Promise<ExportResult> {
  return new Promise((resolve) => {
    const provider = new LoggerProvider({
      processors: [{ onEmit: (record) => exporter.export([record], resolve), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    provider.getLogger('sluice-test').emit({ body });
  });
}
