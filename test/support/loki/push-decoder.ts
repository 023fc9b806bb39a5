/**
 * Decodes Loki push bodies the way Loki does, written independently of the exporter's encoder
 * so that tests check one against the other. Protobuf follows logproto.PushRequest (field
 * numbers from Loki's push.proto), read with pdata's bounds-checked ProtoReader; JSON follows
 * the documented push API.
 */
import { isUtf8 } from 'node:buffer';
import { ProtoReader, SluiceError } from '@sluice/pdata';

/** What the server's checks need of an entry: its time, and its sizes in bytes as sent. */
export interface EntryShape {
  timestampNs: bigint;
  lineBytes: number;
  /** Structured-metadata pairs as sent (a name sent twice counts twice), and their names' and values' bytes. */
  metadataPairs: number;
  metadataBytes: number;
}

export interface DecodedEntry extends EntryShape {
  line: string;
  metadata: Record<string, string>;
}

export interface PushStream<Entry extends EntryShape = DecodedEntry> {
  /** The label string as sent (protobuf) or built from the `stream` object (JSON). */
  labels: string;
  /** For JSON, the `stream` object; for protobuf, undefined (the caller parses `labels`). */
  labelObject?: Record<string, string>;
  entries: Entry[];
}

export type DecodedStream = PushStream<DecodedEntry>;

export class DecodeError extends Error {}

export function isDecoded(entry: EntryShape): entry is DecodedEntry {
  return 'line' in entry;
}

/**
 * Reads a string field and answers where its bytes start (they end at `r.pos`), refusing bytes
 * that are not valid UTF-8 as Loki does (ProtoReader does not check). No view of them is made:
 * under load, making one cost more than the check.
 */
function checkedText(r: ProtoReader): number {
  const end = r.lengthEnd();
  const start = r.pos;
  r.pos = end;
  const buf = r.buf;
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      if (!isUtf8(buf.subarray(i, end))) throw new DecodeError('invalid UTF-8 in a string field');
      break;
    }
  }
  return start;
}

function text(r: ProtoReader): string {
  const start = checkedText(r);
  return r.buf.toString('utf8', start, r.pos);
}

/** Reads the fields of the message that ends at `end` (a nested one: from r.lengthEnd()). */
function fields(r: ProtoReader, end: number, names: readonly (string | undefined)[], field: (tag: number) => boolean): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (!field(tag)) r.skip(tag, names);
  }
  r.end = outer;
}

// Field names by number, so that a known field with the wrong wire type is an error, not skipped.
const STREAM_FIELDS = [undefined, 'labels', 'entries'];
const ENTRY_FIELDS = [undefined, 'timestamp', 'line', 'structuredMetadata'];
const TIMESTAMP_FIELDS = [undefined, 'seconds', 'nanos'];
const PAIR_FIELDS = [undefined, 'name', 'value'];

export function decodePushProto(body: Uint8Array): DecodedStream[] {
  return readPush(body, true) as DecodedStream[];
}

/**
 * Reads and checks a push as decodePushProto does, every string's UTF-8 included, without making
 * its lines and metadata into strings: for a server that only counts what it accepts, under load.
 */
export function checkPushProto(body: Uint8Array): PushStream<EntryShape>[] {
  return readPush(body, false);
}

function readPush(body: Uint8Array, withText: boolean): PushStream<EntryShape>[] {
  const streams: PushStream<EntryShape>[] = [];
  const r = new ProtoReader(body);
  try {
    fields(r, r.end, [undefined, 'streams'], (tag) => tag === 0x0a && streams.push(decodeStream(r, withText)) > 0);
  } catch (err) {
    throw err instanceof SluiceError ? new DecodeError(err.message) : err;
  }
  return streams;
}

function decodeStream(r: ProtoReader, withText: boolean): PushStream<EntryShape> {
  const stream: PushStream<EntryShape> = { labels: '', entries: [] };
  fields(r, r.lengthEnd(), STREAM_FIELDS, (tag) => {
    if (tag === 0x0a) stream.labels = text(r);
    else if (tag === 0x12) stream.entries.push(decodeEntry(r, withText));
    else return false;
    return true;
  });
  return stream;
}

function decodeEntry(r: ProtoReader, withText: boolean): EntryShape {
  const shape: EntryShape = { timestampNs: 0n, lineBytes: 0, metadataPairs: 0, metadataBytes: 0 };
  const entry = withText ? { ...shape, line: '', metadata: {} } : shape;
  fields(r, r.lengthEnd(), ENTRY_FIELDS, (tag) => {
    if (tag === 0x0a) entry.timestampNs = decodeTimestamp(r);
    else if (tag === 0x12) {
      const start = checkedText(r);
      entry.lineBytes = r.pos - start;
      if (isDecoded(entry)) entry.line = r.buf.toString('utf8', start, r.pos);
    } else if (tag === 0x1a) {
      const { nameStart, nameEnd, valueStart, valueEnd } = readLabelPair(r);
      entry.metadataPairs++;
      entry.metadataBytes += nameEnd - nameStart + valueEnd - valueStart;
      if (isDecoded(entry))
        setPair(entry.metadata, r.buf.toString('utf8', nameStart, nameEnd), r.buf.toString('utf8', valueStart, valueEnd));
    } else return false;
    return true;
  });
  return entry;
}

function decodeTimestamp(r: ProtoReader): bigint {
  let seconds = 0n;
  let nanos = 0;
  fields(r, r.lengthEnd(), TIMESTAMP_FIELDS, (tag) => {
    if (tag === 0x08) seconds = r.int64();
    else if (tag === 0x10) nanos = r.int32();
    else return false;
    return true;
  });
  return seconds * 1_000_000_000n + BigInt(nanos);
}

/** Where a LabelPairAdapter's name and value lie in the reader's buffer (the last of each on the wire). */
function readLabelPair(r: ProtoReader): { nameStart: number; nameEnd: number; valueStart: number; valueEnd: number } {
  const pair = { nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0 };
  fields(r, r.lengthEnd(), PAIR_FIELDS, (tag) => {
    if (tag === 0x0a) {
      pair.nameStart = checkedText(r);
      pair.nameEnd = r.pos;
    } else if (tag === 0x12) {
      pair.valueStart = checkedText(r);
      pair.valueEnd = r.pos;
    } else return false;
    return true;
  });
  return pair;
}

/**
 * Sets a metadata pair as an own property, whatever its name: assigning `__proto__` would set the
 * object's prototype instead (a string is ignored), while Loki keeps the pair like any other.
 */
function setPair(metadata: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(metadata, name, { value, enumerable: true, writable: true, configurable: true });
}

/** The push API's JSON: `{"streams":[{"stream":{...},"values":[["<ns>","line",{metadata}?]]}]}`. */
export function decodePushJson(body: string): DecodedStream[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new DecodeError(`invalid JSON: ${(err as Error).message}`);
  }
  const streams = (parsed as { streams?: unknown }).streams;
  if (!Array.isArray(streams)) throw new DecodeError('"streams" must be an array');
  return streams.map((stream: { stream?: unknown; values?: unknown }) => {
    if (typeof stream.stream !== 'object' || stream.stream === null) throw new DecodeError('"stream" must be an object');
    if (!Array.isArray(stream.values)) throw new DecodeError('"values" must be an array');
    const labelObject: Record<string, string> = {};
    for (const [name, value] of Object.entries(stream.stream)) {
      if (typeof value !== 'string') throw new DecodeError(`label ${name} must be a string`);
      labelObject[name] = value;
    }
    const entries = stream.values.map((value: unknown): DecodedEntry => {
      if (!Array.isArray(value) || value.length < 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
        throw new DecodeError('each value must be ["<unix epoch in nanoseconds>", "<log line>", {metadata}?]');
      }
      if (!/^\d+$/.test(value[0])) throw new DecodeError(`timestamp "${value[0]}" is not nanoseconds since the epoch`);
      const metadata: Record<string, string> = {};
      let metadataBytes = 0;
      if (value[2] !== undefined) {
        if (typeof value[2] !== 'object' || value[2] === null) throw new DecodeError('structured metadata must be an object');
        for (const [name, v] of Object.entries(value[2] as object)) {
          const text = String(v);
          setPair(metadata, name, text);
          metadataBytes += Buffer.byteLength(name) + Buffer.byteLength(text);
        }
      }
      const line = value[1];
      return {
        timestampNs: BigInt(value[0]),
        line,
        lineBytes: Buffer.byteLength(line),
        metadata,
        metadataPairs: Object.keys(metadata).length,
        metadataBytes,
      };
    });
    return { labels: '', labelObject, entries };
  });
}
