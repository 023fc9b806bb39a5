/**
 * Decodes Loki push bodies the way Loki does, written independently of the exporter's encoder
 * so that tests check one against the other. Protobuf follows logproto.PushRequest (field
 * numbers from Loki's push.proto), read with pdata's bounds-checked ProtoReader; JSON follows
 * the documented push API.
 */
import { ProtoReader, SluiceError } from '@sluice/pdata';

export interface DecodedEntry {
  timestampNs: bigint;
  line: string;
  metadata: Record<string, string>;
}

export interface DecodedStream {
  /** The label string as sent (protobuf) or built from the `stream` object (JSON). */
  labels: string;
  /** For JSON, the `stream` object; for protobuf, undefined (the caller parses `labels`). */
  labelObject?: Record<string, string>;
  entries: DecodedEntry[];
}

export class DecodeError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A string field, rejected when it is not valid UTF-8, as Loki does (ProtoReader's string() does not check). */
function text(r: ProtoReader): string {
  const end = r.lengthEnd();
  const bytes = r.buf.subarray(r.pos, end);
  r.pos = end;
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DecodeError('invalid UTF-8 in a string field');
  }
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
  const streams: DecodedStream[] = [];
  const r = new ProtoReader(body);
  try {
    fields(r, r.end, [undefined, 'streams'], (tag) => tag === 0x0a && streams.push(decodeStream(r)) > 0);
  } catch (err) {
    throw err instanceof SluiceError ? new DecodeError(err.message) : err;
  }
  return streams;
}

function decodeStream(r: ProtoReader): DecodedStream {
  const stream: DecodedStream = { labels: '', entries: [] };
  fields(r, r.lengthEnd(), STREAM_FIELDS, (tag) => {
    if (tag === 0x0a) stream.labels = text(r);
    else if (tag === 0x12) stream.entries.push(decodeEntry(r));
    else return false;
    return true;
  });
  return stream;
}

function decodeEntry(r: ProtoReader): DecodedEntry {
  const entry: DecodedEntry = { timestampNs: 0n, line: '', metadata: {} };
  fields(r, r.lengthEnd(), ENTRY_FIELDS, (tag) => {
    if (tag === 0x0a) entry.timestampNs = decodeTimestamp(r);
    else if (tag === 0x12) entry.line = text(r);
    else if (tag === 0x1a) {
      const [name, value] = decodeLabelPair(r);
      entry.metadata[name] = value;
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

function decodeLabelPair(r: ProtoReader): [string, string] {
  let name = '';
  let value = '';
  fields(r, r.lengthEnd(), PAIR_FIELDS, (tag) => {
    if (tag === 0x0a) name = text(r);
    else if (tag === 0x12) value = text(r);
    else return false;
    return true;
  });
  return [name, value];
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
      if (value[2] !== undefined) {
        if (typeof value[2] !== 'object' || value[2] === null) throw new DecodeError('structured metadata must be an object');
        for (const [name, v] of Object.entries(value[2] as object)) metadata[name] = String(v);
      }
      return { timestampNs: BigInt(value[0]), line: value[1], metadata };
    });
    return { labels: '', labelObject, entries };
  });
}
