import { SluiceError } from '../errors';
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData, Resource, ResourceLogs, ScopeLogs } from '../model';
import { ProtoWriter, int64Size, uint32Size } from './proto-writer';

/*
 * Encodes the data model as an ExportLogsServiceRequest in two passes: `size*` functions measure
 * each message and log the length of every nested message and string in the order `write*` will
 * visit them; `write*` then fills one buffer of the exact size. Fields holding their default value
 * are left out, as protobuf does; the empty AnyValue is left out where it is a field (body, a
 * KeyValue's value) and kept as an empty message where it is an array element.
 */

// Lengths logged by the size pass, reused across calls (encoding is synchronous).
const lengths: number[] = [];

/** The size of `encodeLogsProto(logs)` in bytes, without encoding (the size pass alone). */
export function sizeLogsProto(logs: LogsData): number {
  lengths.length = 0;
  let size = 0;
  for (const rl of logs.resourceLogs) size += field(sizeResourceLogs(rl));
  return size;
}

export function encodeLogsProto(logs: LogsData): Buffer {
  const size = sizeLogsProto(logs);
  const w = new ProtoWriter(size, lengths);
  for (const rl of logs.resourceLogs) {
    w.byte(0x0a);
    writeResourceLogs(w, rl);
  }
  if (w.pos !== size) throw new SluiceError('SLUICE_INTERNAL', `encoded ${w.pos} bytes where ${size} were measured`);
  return w.buf;
}

/** The bytes a length-delimited field with a one-byte tag takes. */
function field(contentSize: number): number {
  return 1 + uint32Size(contentSize) + contentSize;
}

/**
 * `value`, checked to be a uint32. The decoders refuse values out of range, so one here is a bug
 * upstream (e.g. a processor's arithmetic): refused, as writing it would corrupt the message.
 */
function uint32Field(value: number, name: string): number {
  if (value >>> 0 !== value) throw new SluiceError('SLUICE_INTERNAL', `cannot encode ${name} ${value}: not an unsigned 32-bit integer`);
  return value;
}

/** Reserves the next slot in the length log; the caller fills it once its content is measured. */
function reserve(): number {
  lengths.push(0);
  return lengths.length - 1;
}

function sizeString(value: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  lengths.push(length);
  return 1 + uint32Size(length) + length;
}

function sizeResourceLogs(rl: ResourceLogs): number {
  const slot = reserve();
  let size = 0;
  if (!isEmptyResource(rl.resource)) size += field(sizeResource(rl.resource));
  for (const sl of rl.scopeLogs) size += field(sizeScopeLogs(sl));
  if (rl.schemaUrl !== '') size += sizeString(rl.schemaUrl);
  return (lengths[slot] = size);
}

function writeResourceLogs(w: ProtoWriter, rl: ResourceLogs): void {
  w.lengthPrefix();
  if (!isEmptyResource(rl.resource)) {
    w.byte(0x0a);
    writeResource(w, rl.resource);
  }
  for (const sl of rl.scopeLogs) {
    w.byte(0x12);
    writeScopeLogs(w, sl);
  }
  if (rl.schemaUrl !== '') {
    w.byte(0x1a);
    w.string(rl.schemaUrl);
  }
}

function isEmptyResource(resource: Resource): boolean {
  return resource.attributes.length === 0 && resource.droppedAttributesCount === 0;
}

function sizeResource(resource: Resource): number {
  const slot = reserve();
  let size = sizeKeyValues(resource.attributes);
  if (resource.droppedAttributesCount !== 0) {
    size += 1 + uint32Size(uint32Field(resource.droppedAttributesCount, 'resource.droppedAttributesCount'));
  }
  return (lengths[slot] = size);
}

function writeResource(w: ProtoWriter, resource: Resource): void {
  w.lengthPrefix();
  writeKeyValues(w, 0x0a, resource.attributes);
  if (resource.droppedAttributesCount !== 0) {
    w.byte(0x10);
    w.uint32(resource.droppedAttributesCount);
  }
}

function sizeScopeLogs(sl: ScopeLogs): number {
  const slot = reserve();
  let size = 0;
  if (!isEmptyScope(sl.scope)) size += field(sizeScope(sl.scope));
  const records = sl.logRecords;
  for (let i = 0; i < records.length; i++) size += field(sizeLogRecord(records[i]!));
  if (sl.schemaUrl !== '') size += sizeString(sl.schemaUrl);
  return (lengths[slot] = size);
}

function writeScopeLogs(w: ProtoWriter, sl: ScopeLogs): void {
  w.lengthPrefix();
  if (!isEmptyScope(sl.scope)) {
    w.byte(0x0a);
    writeScope(w, sl.scope);
  }
  const records = sl.logRecords;
  for (let i = 0; i < records.length; i++) {
    w.byte(0x12);
    writeLogRecord(w, records[i]!);
  }
  if (sl.schemaUrl !== '') {
    w.byte(0x1a);
    w.string(sl.schemaUrl);
  }
}

function isEmptyScope(scope: InstrumentationScope): boolean {
  return scope.name === '' && scope.version === '' && scope.attributes.length === 0 && scope.droppedAttributesCount === 0;
}

function sizeScope(scope: InstrumentationScope): number {
  const slot = reserve();
  let size = 0;
  if (scope.name !== '') size += sizeString(scope.name);
  if (scope.version !== '') size += sizeString(scope.version);
  size += sizeKeyValues(scope.attributes);
  if (scope.droppedAttributesCount !== 0) size += 1 + uint32Size(uint32Field(scope.droppedAttributesCount, 'scope.droppedAttributesCount'));
  return (lengths[slot] = size);
}

function writeScope(w: ProtoWriter, scope: InstrumentationScope): void {
  w.lengthPrefix();
  if (scope.name !== '') {
    w.byte(0x0a);
    w.string(scope.name);
  }
  if (scope.version !== '') {
    w.byte(0x12);
    w.string(scope.version);
  }
  writeKeyValues(w, 0x1a, scope.attributes);
  if (scope.droppedAttributesCount !== 0) {
    w.byte(0x20);
    w.uint32(scope.droppedAttributesCount);
  }
}

function sizeLogRecord(r: LogRecord): number {
  const slot = reserve();
  let size = 0;
  if (r.timeUnixNano !== 0n) size += 9;
  if (r.severityNumber !== 0) {
    if ((r.severityNumber | 0) !== r.severityNumber) {
      throw new SluiceError('SLUICE_INTERNAL', `cannot encode logRecord.severityNumber ${r.severityNumber}: not a 32-bit integer`);
    }
    size += 1 + (r.severityNumber < 0 ? 10 : uint32Size(r.severityNumber));
  }
  if (r.severityText !== '') size += sizeString(r.severityText);
  if (r.body !== null) size += field(sizeAnyValue(r.body));
  size += sizeKeyValues(r.attributes);
  if (r.droppedAttributesCount !== 0) size += 1 + uint32Size(uint32Field(r.droppedAttributesCount, 'logRecord.droppedAttributesCount'));
  if (r.flags !== 0) {
    // A fixed32 takes 4 bytes whatever the value, but would silently keep only the low 32 bits.
    uint32Field(r.flags, 'logRecord.flags');
    size += 5;
  }
  if (r.traceId !== '') size += idSize(r.traceId, 16, 'traceId');
  if (r.spanId !== '') size += idSize(r.spanId, 8, 'spanId');
  if (r.observedTimeUnixNano !== 0n) size += 9;
  if (r.eventName !== '') size += sizeString(r.eventName);
  return (lengths[slot] = size);
}

function writeLogRecord(w: ProtoWriter, r: LogRecord): void {
  w.lengthPrefix();
  if (r.timeUnixNano !== 0n) {
    w.byte(0x09);
    w.fixed64(r.timeUnixNano);
  }
  if (r.severityNumber !== 0) {
    w.byte(0x10);
    if (r.severityNumber > 0) w.uint32(r.severityNumber);
    else w.int64(BigInt(r.severityNumber)); // an int32 enum: negative values sign-extend to 10 bytes
  }
  if (r.severityText !== '') {
    w.byte(0x1a);
    w.string(r.severityText);
  }
  if (r.body !== null) {
    w.byte(0x2a);
    writeAnyValue(w, r.body);
  }
  writeKeyValues(w, 0x32, r.attributes);
  if (r.droppedAttributesCount !== 0) {
    w.byte(0x38);
    w.uint32(r.droppedAttributesCount);
  }
  if (r.flags !== 0) {
    w.byte(0x45);
    w.fixed32(r.flags);
  }
  if (r.traceId !== '') {
    w.byte(0x4a);
    w.id(r.traceId, 16, 'traceId');
  }
  if (r.spanId !== '') {
    w.byte(0x52);
    w.id(r.spanId, 8, 'spanId');
  }
  if (r.observedTimeUnixNano !== 0n) {
    w.byte(0x59);
    w.fixed64(r.observedTimeUnixNano);
  }
  if (r.eventName !== '') {
    w.byte(0x62);
    w.string(r.eventName);
  }
}

function idSize(hex: string, size: number, name: string): number {
  if (hex.length !== size * 2) {
    throw new SluiceError('SLUICE_BAD_DATA', `cannot encode ${name} '${hex}': not ${size * 2} hex characters`);
  }
  return 2 + size;
}

function sizeKeyValues(attributes: readonly KeyValue[]): number {
  let size = 0;
  for (let i = 0; i < attributes.length; i++) size += field(sizeKeyValue(attributes[i]!));
  return size;
}

function writeKeyValues(w: ProtoWriter, tag: number, attributes: readonly KeyValue[]): void {
  for (let i = 0; i < attributes.length; i++) {
    w.byte(tag);
    writeKeyValue(w, attributes[i]!);
  }
}

function sizeKeyValue(kv: KeyValue): number {
  const slot = reserve();
  let size = 0;
  if (kv.key !== '') size += sizeString(kv.key);
  if (kv.value !== null) size += field(sizeAnyValue(kv.value));
  return (lengths[slot] = size);
}

function writeKeyValue(w: ProtoWriter, kv: KeyValue): void {
  w.lengthPrefix();
  if (kv.key !== '') {
    w.byte(0x0a);
    w.string(kv.key);
  }
  if (kv.value !== null) {
    w.byte(0x12);
    writeAnyValue(w, kv.value);
  }
}

function sizeAnyValue(value: AnyValue): number {
  const slot = reserve();
  let size: number;
  switch (typeof value) {
    case 'string':
      size = sizeString(value);
      break;
    case 'boolean':
      size = 2;
      break;
    case 'bigint':
      size = 1 + int64Size(value);
      break;
    case 'number':
      size = 9;
      break;
    default:
      if (value === null) size = 0;
      else if (Array.isArray(value)) size = field(sizeArrayValue(value));
      else if (value instanceof Uint8Array) size = field(value.byteLength);
      else size = field(sizeKeyValueList(value.kvlist));
  }
  return (lengths[slot] = size);
}

function writeAnyValue(w: ProtoWriter, value: AnyValue): void {
  w.lengthPrefix();
  switch (typeof value) {
    case 'string':
      w.byte(0x0a);
      w.string(value);
      return;
    case 'boolean':
      w.byte(0x10);
      w.byte(value ? 1 : 0);
      return;
    case 'bigint':
      w.byte(0x18);
      w.int64(value);
      return;
    case 'number':
      w.byte(0x21);
      w.double(value);
      return;
  }
  if (value === null) return;
  if (Array.isArray(value)) {
    w.byte(0x2a);
    w.lengthPrefix();
    for (let i = 0; i < value.length; i++) {
      w.byte(0x0a);
      writeAnyValue(w, value[i]!);
    }
  } else if (value instanceof Uint8Array) {
    w.byte(0x3a);
    w.bytes(value);
  } else {
    w.byte(0x32);
    w.lengthPrefix();
    writeKeyValues(w, 0x0a, value.kvlist);
  }
}

function sizeArrayValue(values: readonly AnyValue[]): number {
  const slot = reserve();
  let size = 0;
  for (let i = 0; i < values.length; i++) size += field(sizeAnyValue(values[i]!));
  return (lengths[slot] = size);
}

function sizeKeyValueList(kvlist: readonly KeyValue[]): number {
  const slot = reserve();
  return (lengths[slot] = sizeKeyValues(kvlist));
}
