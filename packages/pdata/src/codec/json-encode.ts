import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData, Resource, ResourceLogs, ScopeLogs } from '../model';

/*
 * Data model → OTLP/JSON. Builds the protojson-shaped objects and lets JSON.stringify write them
 * (V8's serializer beats hand-built strings). Fields holding their default value are set to
 * `undefined`, which JSON.stringify leaves out: the output omits defaults as protojson does, while
 * every object of a kind keeps one shape. Resource and scope are always written, as otelcol does.
 */

/** Encodes OTLP/JSON per the spec: lowerCamelCase names, 64-bit integers as decimal strings, hex ids, base64 bytes. One line. */
export function encodeLogsJson(logs: LogsData): string {
  return JSON.stringify({ resourceLogs: logs.resourceLogs.map(resourceLogsToJson) });
}

function resourceLogsToJson(rl: ResourceLogs): object {
  return {
    resource: resourceToJson(rl.resource),
    scopeLogs: rl.scopeLogs.map(scopeLogsToJson),
    schemaUrl: rl.schemaUrl || undefined,
  };
}

function resourceToJson(resource: Resource): object {
  return {
    attributes: keyValuesToJson(resource.attributes),
    droppedAttributesCount: resource.droppedAttributesCount || undefined,
  };
}

function scopeLogsToJson(sl: ScopeLogs): object {
  return {
    scope: scopeToJson(sl.scope),
    logRecords: sl.logRecords.map(logRecordToJson),
    schemaUrl: sl.schemaUrl || undefined,
  };
}

function scopeToJson(scope: InstrumentationScope): object {
  return {
    name: scope.name || undefined,
    version: scope.version || undefined,
    attributes: keyValuesToJson(scope.attributes),
    droppedAttributesCount: scope.droppedAttributesCount || undefined,
  };
}

// In protobuf field-number order, as protojson writes them.
function logRecordToJson(r: LogRecord): object {
  return {
    timeUnixNano: r.timeUnixNano === 0n ? undefined : r.timeUnixNano.toString(),
    severityNumber: r.severityNumber || undefined,
    severityText: r.severityText || undefined,
    body: r.body === null ? undefined : anyValueToJson(r.body),
    attributes: keyValuesToJson(r.attributes),
    droppedAttributesCount: r.droppedAttributesCount || undefined,
    flags: r.flags || undefined,
    traceId: r.traceId || undefined,
    spanId: r.spanId || undefined,
    observedTimeUnixNano: r.observedTimeUnixNano === 0n ? undefined : r.observedTimeUnixNano.toString(),
    eventName: r.eventName || undefined,
  };
}

function keyValuesToJson(attributes: readonly KeyValue[]): object[] | undefined {
  if (attributes.length === 0) return undefined;
  const out = new Array<object>(attributes.length);
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i]!;
    out[i] = { key: kv.key || undefined, value: kv.value === null ? undefined : anyValueToJson(kv.value) };
  }
  return out;
}

function anyValueToJson(value: AnyValue): object {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { intValue: value.toString() };
    case 'number':
      return { doubleValue: doubleToJson(value) };
  }
  if (value === null) return {};
  if (Array.isArray(value)) return { arrayValue: { values: value.length === 0 ? undefined : value.map(anyValueToJson) } };
  if (value instanceof Uint8Array) {
    return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  return { kvlistValue: { values: keyValuesToJson(value.kvlist) } };
}

/** JSON has no NaN, infinities or negative zero: protojson writes those as strings. */
function doubleToJson(value: number): number | string {
  if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? '-0' : value;
  return String(value); // 'NaN', 'Infinity', '-Infinity'
}
