/**
 * A compact, lossless binary encoding of LogsData, for batches that wait in a persistent queue.
 * Not a wire format: only this codec reads what it writes, so it can stay simple — a version
 * byte, little-endian fixed-width numbers, length-prefixed UTF-8 strings and a tag per AnyValue
 * kind (which keeps int64 apart from double, and kvlist order and duplicate keys intact).
 */
import { SluiceError } from '@sluice/pdata';
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData, Resource } from '@sluice/pdata';

/** How a persistent queue turns batches into bytes and back; an exporter may bring its own. */
/** How a persistent queue turns what it keeps into bytes and back. */
export interface PayloadCodec<P> {
  encode(payload: P): Uint8Array;
  /** Throws a SluiceError (SLUICE_BAD_DATA) on bytes it did not write. */
  decode(bytes: Uint8Array): P;
}

export type LogsCodec = PayloadCodec<LogsData>;

const VERSION = 1;

const enum Tag {
  Empty = 0,
  String = 1,
  False = 2,
  True = 3,
  Double = 4,
  Int = 5,
  Bytes = 6,
  Array = 7,
  KvList = 8,
}

export const binaryLogsCodec: LogsCodec = {
  encode(logs) {
    const w = new Writer();
    w.u8(VERSION);
    w.u32(logs.resourceLogs.length);
    for (const rl of logs.resourceLogs) {
      writeResource(w, rl.resource);
      w.str(rl.schemaUrl);
      w.u32(rl.scopeLogs.length);
      for (const sl of rl.scopeLogs) {
        writeScope(w, sl.scope);
        w.str(sl.schemaUrl);
        w.u32(sl.logRecords.length);
        for (const record of sl.logRecords) writeRecord(w, record);
      }
    }
    return w.finish();
  },

  decode(bytes) {
    const r = new Reader(bytes);
    try {
      const version = r.u8();
      if (version !== VERSION) throw new SluiceError('SLUICE_BAD_DATA', `queued batch has unknown encoding version ${version}`);
      const resourceLogs = r.list(() => {
        const resource = readResource(r);
        const schemaUrl = r.str();
        const scopeLogs = r.list(() => {
          const scope = readScope(r);
          const scopeSchemaUrl = r.str();
          return { scope, schemaUrl: scopeSchemaUrl, logRecords: r.list(() => readRecord(r)) };
        });
        return { resource, scopeLogs, schemaUrl };
      });
      if (r.remaining() !== 0) throw new SluiceError('SLUICE_BAD_DATA', `queued batch has ${r.remaining()} trailing bytes`);
      return { resourceLogs };
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw new SluiceError('SLUICE_BAD_DATA', 'queued batch is truncated or corrupt', { cause: err });
    }
  },
};

function writeResource(w: Writer, resource: Resource): void {
  writeAttributes(w, resource.attributes);
  w.u32(resource.droppedAttributesCount);
}

function readResource(r: Reader): Resource {
  return { attributes: readAttributes(r), droppedAttributesCount: r.u32() };
}

function writeScope(w: Writer, scope: InstrumentationScope): void {
  w.str(scope.name);
  w.str(scope.version);
  writeAttributes(w, scope.attributes);
  w.u32(scope.droppedAttributesCount);
}

function readScope(r: Reader): InstrumentationScope {
  return { name: r.str(), version: r.str(), attributes: readAttributes(r), droppedAttributesCount: r.u32() };
}

function writeRecord(w: Writer, record: LogRecord): void {
  w.u64(record.timeUnixNano);
  w.u64(record.observedTimeUnixNano);
  w.i32(record.severityNumber);
  w.str(record.severityText);
  writeValue(w, record.body);
  writeAttributes(w, record.attributes);
  w.u32(record.droppedAttributesCount);
  w.u32(record.flags);
  w.str(record.traceId);
  w.str(record.spanId);
  w.str(record.eventName);
}

function readRecord(r: Reader): LogRecord {
  return {
    timeUnixNano: r.u64(),
    observedTimeUnixNano: r.u64(),
    severityNumber: r.i32(),
    severityText: r.str(),
    body: readValue(r),
    attributes: readAttributes(r),
    droppedAttributesCount: r.u32(),
    flags: r.u32(),
    traceId: r.str(),
    spanId: r.str(),
    eventName: r.str(),
  };
}

function writeAttributes(w: Writer, attributes: readonly KeyValue[]): void {
  w.u32(attributes.length);
  for (const kv of attributes) {
    w.str(kv.key);
    writeValue(w, kv.value);
  }
}

function readAttributes(r: Reader): KeyValue[] {
  return r.list(() => ({ key: r.str(), value: readValue(r) }));
}

function writeValue(w: Writer, value: AnyValue): void {
  if (value === null) return w.u8(Tag.Empty);
  switch (typeof value) {
    case 'string':
      w.u8(Tag.String);
      return w.str(value);
    case 'boolean':
      return w.u8(value ? Tag.True : Tag.False);
    case 'number':
      w.u8(Tag.Double);
      return w.f64(value);
    case 'bigint':
      w.u8(Tag.Int);
      return w.i64(value);
  }
  if (value instanceof Uint8Array) {
    w.u8(Tag.Bytes);
    return w.bytes(value);
  }
  if (Array.isArray(value)) {
    w.u8(Tag.Array);
    w.u32(value.length);
    for (const item of value) writeValue(w, item);
    return;
  }
  w.u8(Tag.KvList);
  writeAttributes(w, value.kvlist);
}

function readValue(r: Reader): AnyValue {
  const tag = r.u8();
  switch (tag) {
    case Tag.Empty:
      return null;
    case Tag.String:
      return r.str();
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Double:
      return r.f64();
    case Tag.Int:
      return r.i64();
    case Tag.Bytes:
      return r.bytes();
    case Tag.Array:
      return r.list(() => readValue(r));
    case Tag.KvList:
      return { kvlist: readAttributes(r) };
    default:
      throw new SluiceError('SLUICE_BAD_DATA', `queued batch has an unknown value tag ${tag}`);
  }
}

/** A growable little-endian byte writer. */
class Writer {
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.reserve(4);
    this.pos = this.buf.writeUInt32LE(v >>> 0, this.pos);
  }
  i32(v: number): void {
    this.reserve(4);
    this.pos = this.buf.writeInt32LE(v | 0, this.pos);
  }
  /** Timestamps are OTLP fixed64: unsigned 64-bit. */
  u64(v: bigint): void {
    this.reserve(8);
    this.pos = this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
  }
  i64(v: bigint): void {
    this.reserve(8);
    this.pos = this.buf.writeBigInt64LE(BigInt.asIntN(64, v), this.pos);
  }
  f64(v: number): void {
    this.reserve(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }
  str(v: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; reserve that, then write the length we got.
    this.reserve(4 + v.length * 3);
    const written = this.buf.write(v, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(written, this.pos);
    this.pos += 4 + written;
  }
  bytes(v: Uint8Array): void {
    this.u32(v.byteLength);
    this.reserve(v.byteLength);
    this.buf.set(v, this.pos);
    this.pos += v.byteLength;
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

/** Reads what Writer wrote; Buffer's own bounds checks throw on truncated input. */
class Reader {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }
  u8(): number {
    const v = this.buf.readUInt8(this.pos);
    this.pos += 1;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    const end = this.end(this.u32());
    const v = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return v;
  }
  bytes(): Uint8Array {
    const end = this.end(this.u32());
    // A copy, so the value does not pin the whole segment buffer it was read from.
    const v = new Uint8Array(this.buf.subarray(this.pos, end));
    this.pos = end;
    return v;
  }
  list<T>(readItem: () => T): T[] {
    const count = this.u32();
    // Each item takes at least one byte: a larger count can only come from corrupt input.
    if (count > this.remaining()) throw new RangeError(`list of ${count} items in ${this.remaining()} bytes`);
    const out: T[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = readItem();
    return out;
  }
  private end(length: number): number {
    const end = this.pos + length;
    if (end > this.buf.length) throw new RangeError(`length ${length} runs past the end`);
    return end;
  }
}
