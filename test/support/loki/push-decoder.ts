/**
 * Decodes Loki push bodies the way Loki does, written independently of the exporter's encoder
 * so that tests check one against the other. Protobuf follows logproto.PushRequest (field
 * numbers from Loki's push.proto); JSON follows the documented push API.
 */
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

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly end = buf.length) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new DecodeError('truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new DecodeError('varint too long');
    }
  }

  bytes(): Uint8Array {
    const length = Number(this.varint());
    if (this.pos + length > this.end) throw new DecodeError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new DecodeError(`unsupported wire type ${wireType}`);
    if (this.pos > this.end) throw new DecodeError('truncated field');
  }

  /** Calls `field` for each (number, wireType) until the end of this message. */
  fields(field: (number: number, wireType: number) => void): void {
    while (!this.done()) {
      const tag = Number(this.varint());
      field(tag >>> 3, tag & 7);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DecodeError('invalid UTF-8 in a string field');
  }
}

function sub(bytes: Uint8Array): Reader {
  return new Reader(bytes);
}

export function decodePushProto(body: Uint8Array): DecodedStream[] {
  const streams: DecodedStream[] = [];
  const top = new Reader(body);
  top.fields((number, wireType) => {
    if (number === 1 && wireType === 2) streams.push(decodeStream(top.bytes()));
    else top.skip(wireType);
  });
  return streams;
}

function decodeStream(bytes: Uint8Array): DecodedStream {
  const stream: DecodedStream = { labels: '', entries: [] };
  const r = sub(bytes);
  r.fields((number, wireType) => {
    if (number === 1 && wireType === 2) stream.labels = text(r.bytes());
    else if (number === 2 && wireType === 2) stream.entries.push(decodeEntry(r.bytes()));
    else r.skip(wireType);
  });
  return stream;
}

function decodeEntry(bytes: Uint8Array): DecodedEntry {
  const entry: DecodedEntry = { timestampNs: 0n, line: '', metadata: {} };
  const r = sub(bytes);
  r.fields((number, wireType) => {
    if (number === 1 && wireType === 2) entry.timestampNs = decodeTimestamp(r.bytes());
    else if (number === 2 && wireType === 2) entry.line = text(r.bytes());
    else if (number === 3 && wireType === 2) {
      const [name, value] = decodeLabelPair(r.bytes());
      entry.metadata[name] = value;
    } else r.skip(wireType);
  });
  return entry;
}

function decodeTimestamp(bytes: Uint8Array): bigint {
  let seconds = 0n;
  let nanos = 0n;
  const r = sub(bytes);
  r.fields((number, wireType) => {
    if (number === 1 && wireType === 0) seconds = BigInt.asIntN(64, r.varint());
    else if (number === 2 && wireType === 0) nanos = BigInt.asIntN(32, r.varint());
    else r.skip(wireType);
  });
  return seconds * 1_000_000_000n + nanos;
}

function decodeLabelPair(bytes: Uint8Array): [string, string] {
  let name = '';
  let value = '';
  const r = sub(bytes);
  r.fields((number, wireType) => {
    if (number === 1 && wireType === 2) name = text(r.bytes());
    else if (number === 2 && wireType === 2) value = text(r.bytes());
    else r.skip(wireType);
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
