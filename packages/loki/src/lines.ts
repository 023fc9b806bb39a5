/**
 * The text of each Loki entry, in the three formats the otelcol lokiexporter offered. The parts
 * that repeat for every record of a resource or scope are rendered once by the caller and
 * passed in, so a record costs one JSON.stringify of its own fields.
 */
import { anyValueToJson, anyValueToString, setOwnProperty, type InstrumentationScope, type KeyValue, type LogRecord } from '@sluice/pdata';

/** Attribute keys to leave out of a line: labels promoted from them, and `loki.*` hints. */
export type HiddenKeys = ReadonlySet<string> | undefined;

function visibleJson(attributes: readonly KeyValue[], hidden: HiddenKeys): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i]!;
    if (hidden !== undefined && hidden.has(kv.key)) continue;
    setOwnProperty((out ??= {}), kv.key, anyValueToJson(kv.value));
  }
  return out;
}

/** `,"resources":{...}` for a resource, or '' when nothing of it is left for the line. */
export function jsonResourcePart(attributes: readonly KeyValue[], hidden: HiddenKeys): string {
  const resources = visibleJson(attributes, hidden);
  return resources ? ',"resources":' + JSON.stringify(resources) : '';
}

/** `,"instrumentation_scope":{...}` for a scope, or '' when it has neither name nor version. */
export function jsonScopePart(scope: InstrumentationScope): string {
  if (scope.name === '' && scope.version === '') return '';
  const part: Record<string, string> = {};
  if (scope.name !== '') part.name = scope.name;
  if (scope.version !== '') part.version = scope.version;
  return ',"instrumentation_scope":' + JSON.stringify(part);
}

/**
 * The otelcol lokiexporter json line: body, traceid, spanid, severity, attributes, resources,
 * instrumentation_scope, each left out when empty.
 */
export function jsonLine(record: LogRecord, hidden: HiddenKeys, resourcePart: string, scopePart: string): string {
  const own: Record<string, unknown> = {};
  if (record.body !== null) own.body = anyValueToJson(record.body);
  if (record.traceId !== '') own.traceid = record.traceId;
  if (record.spanId !== '') own.spanid = record.spanId;
  if (record.severityText !== '') own.severity = record.severityText;
  const attributes = visibleJson(record.attributes, hidden);
  if (attributes) own.attributes = attributes;
  const text = JSON.stringify(own);
  const tail = resourcePart + scopePart;
  if (tail === '') return text;
  // `tail` starts with a comma; an empty object has nothing for it to follow.
  return text.length === 2 ? '{' + tail.slice(1) + '}' : text.slice(0, -1) + tail + '}';
}

/** ` resource_k=v ...` for a resource (leading space), or ''. */
export function logfmtResourcePart(attributes: readonly KeyValue[], hidden: HiddenKeys): string {
  return logfmtFields('resource_', attributes, hidden);
}

export function logfmtScopePart(scope: InstrumentationScope): string {
  let out = '';
  if (scope.name !== '') out += ' instrumentation_scope_name=' + logfmtValue(scope.name);
  if (scope.version !== '') out += ' instrumentation_scope_version=' + logfmtValue(scope.version);
  return out;
}

/** `body=... traceID=... spanID=... severity=... attribute_k=v resource_k=v instrumentation_scope_name=...` */
export function logfmtLine(record: LogRecord, hidden: HiddenKeys, resourcePart: string, scopePart: string): string {
  let out = '';
  if (record.body !== null) out += ' body=' + logfmtValue(anyValueToString(record.body));
  if (record.traceId !== '') out += ' traceID=' + record.traceId;
  if (record.spanId !== '') out += ' spanID=' + record.spanId;
  if (record.severityText !== '') out += ' severity=' + logfmtValue(record.severityText);
  out += logfmtFields('attribute_', record.attributes, hidden) + resourcePart + scopePart;
  return out.slice(1);
}

/** The body as text: the line Fluent Bit and promtail users expect; everything else goes to metadata. */
export function rawLine(record: LogRecord): string {
  return anyValueToString(record.body);
}

function logfmtFields(prefix: string, attributes: readonly KeyValue[], hidden: HiddenKeys): string {
  let out = '';
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i]!;
    if (hidden !== undefined && hidden.has(kv.key)) continue;
    out += ' ' + prefix + kv.key.replace(LOGFMT_KEY_UNSAFE, '_') + '=' + logfmtValue(anyValueToString(kv.value));
  }
  return out;
}

const LOGFMT_KEY_UNSAFE = /[\s="]/g;
// eslint-disable-next-line no-control-regex -- control characters are what must be quoted
const LOGFMT_NEEDS_QUOTES = /[\s="\\]|[\u0000-\u001f]/;

function logfmtValue(value: string): string {
  return value === '' || LOGFMT_NEEDS_QUOTES.test(value) ? JSON.stringify(value) : value;
}
