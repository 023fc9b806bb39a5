/**
 * Sluice's `flat` format: one JSON object per log record, for jq and grep users.
 *
 *   {"time":"<RFC3339Nano>","time_unix_nano":"...","observed_time_unix_nano":"...",
 *    "severity_text":..,"severity_number":..,"event_name":..,"body":..,"attributes":{..},
 *    "resource":{..},"scope":{"name":..,"version":..},"trace_id":..,"span_id":..}
 *
 * Values are plain JSON (anyValueToJson), 64-bit times are strings, empty fields are left out.
 * `time` falls back to the observed time, then to the write time, so every line has one.
 */
import { anyValueToJson, keyValuesToJson, type LogRecord, type LogsData } from '@sluice/pdata';

/** Formats nanoseconds since the epoch as Go's RFC3339Nano does (UTC, trailing zeros trimmed). */
export function formatRfc3339Nano(unixNano: bigint): string {
  const seconds = unixNano / 1_000_000_000n;
  const nanos = Number(unixNano % 1_000_000_000n);
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${whole}Z`;
  return `${whole}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** Encodes every record as one line (each ending in `\n`). `nowUnixNano` is the last-resort time. */
export function encodeFlatLines(logs: LogsData, nowUnixNano: bigint): string {
  let out = '';
  for (const resourceLogs of logs.resourceLogs) {
    // The resource part repeats on every line of a ResourceLogs: stringify it once.
    const resourceAttributes = resourceLogs.resource.attributes;
    const resourcePart = resourceAttributes.length > 0 ? `,"resource":${JSON.stringify(keyValuesToJson(resourceAttributes))}` : '';
    for (const scopeLogs of resourceLogs.scopeLogs) {
      const { name, version } = scopeLogs.scope;
      const scope: Record<string, string> = {};
      if (name !== '') scope.name = name;
      if (version !== '') scope.version = version;
      const scopePart = name !== '' || version !== '' ? `,"scope":${JSON.stringify(scope)}` : '';
      const middle = resourcePart + scopePart;
      for (const record of scopeLogs.logRecords) out += encodeRecord(record, middle, nowUnixNano);
    }
  }
  return out;
}

function encodeRecord(record: LogRecord, resourceAndScope: string, nowUnixNano: bigint): string {
  const time = record.timeUnixNano || record.observedTimeUnixNano || nowUnixNano;
  const head: Record<string, unknown> = { time: formatRfc3339Nano(time) };
  if (record.timeUnixNano !== 0n) head.time_unix_nano = record.timeUnixNano.toString();
  if (record.observedTimeUnixNano !== 0n) head.observed_time_unix_nano = record.observedTimeUnixNano.toString();
  if (record.severityText !== '') head.severity_text = record.severityText;
  if (record.severityNumber !== 0) head.severity_number = record.severityNumber;
  if (record.eventName !== '') head.event_name = record.eventName;
  if (record.body !== null) head.body = anyValueToJson(record.body);
  if (record.attributes.length > 0) head.attributes = keyValuesToJson(record.attributes);

  let ids = '';
  // Ids are hex by contract; stringify anyway so a malformed one cannot break the line.
  if (record.traceId !== '') ids += `,"trace_id":${JSON.stringify(record.traceId)}`;
  if (record.spanId !== '') ids += `,"span_id":${JSON.stringify(record.spanId)}`;

  const headJson = JSON.stringify(head);
  return `${headJson.slice(0, -1)}${resourceAndScope}${ids}}\n`;
}
