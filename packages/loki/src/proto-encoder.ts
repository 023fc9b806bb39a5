/**
 * Loki's `logproto.PushRequest` in protobuf, written in two passes: the first measures every
 * message, the second writes into one Buffer of exactly that size. No per-entry allocations,
 * no fork/ldelim copies.
 *
 *   PushRequest      { repeated StreamAdapter streams = 1; }
 *   StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                      repeated LabelPairAdapter structuredMetadata = 3; }
 *   Timestamp        { int64 seconds = 1; int32 nanos = 2; }
 *   LabelPairAdapter { string name = 1; string value = 2; }
 */
import type { PushStream } from './push';

// Field tags: (field number << 3) | wire type; 2 = length-delimited, 0 = varint.
export const TAG_1_LEN = 0x0a;
export const TAG_2_LEN = 0x12;
export const TAG_3_LEN = 0x1a;
const TAG_1_VARINT = 0x08;
const TAG_2_VARINT = 0x10;
const NS_PER_SECOND = 1_000_000_000n;

export function encodePushRequestProto(streams: readonly PushStream[]): Buffer {
  // Pass 1: every length (and each entry's split timestamp), in the order pass 2 will need them.
  const sizes: number[] = [];
  let total = 0;
  for (const stream of streams) {
    const streamSlot = sizes.push(0) - 1;
    const labelsBytes = utf8Length(stream.labels);
    sizes.push(labelsBytes);
    let streamSize = 1 + varintSize(labelsBytes) + labelsBytes;
    for (const entry of stream.entries) {
      const entrySlot = sizes.push(0) - 1;
      const seconds = Number(entry.timestampNs / NS_PER_SECOND);
      const nanos = Number(entry.timestampNs % NS_PER_SECOND);
      const timestampSize = timestampMessageSize(seconds, nanos);
      sizes.push(seconds, nanos);
      const lineBytes = utf8Length(entry.line);
      sizes.push(lineBytes);
      let entrySize = 1 + varintSize(timestampSize) + timestampSize + 1 + varintSize(lineBytes) + lineBytes;
      for (const pair of entry.metadata) {
        const nameBytes = utf8Length(pair.name);
        const valueBytes = utf8Length(pair.value);
        const pairSize = 1 + varintSize(nameBytes) + nameBytes + 1 + varintSize(valueBytes) + valueBytes;
        sizes.push(pairSize, nameBytes, valueBytes);
        entrySize += 1 + varintSize(pairSize) + pairSize;
      }
      sizes[entrySlot] = entrySize;
      streamSize += 1 + varintSize(entrySize) + entrySize;
    }
    sizes[streamSlot] = streamSize;
    total += 1 + varintSize(streamSize) + streamSize;
  }

  // Pass 2: write.
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  let next = 0;
  for (const stream of streams) {
    buf[pos++] = TAG_1_LEN;
    pos = writeVarint(buf, pos, sizes[next++]!);
    pos = writeString(buf, pos, TAG_1_LEN, stream.labels, sizes[next++]!);
    for (const entry of stream.entries) {
      buf[pos++] = TAG_2_LEN;
      pos = writeVarint(buf, pos, sizes[next++]!);
      const seconds = sizes[next++]!;
      const nanos = sizes[next++]!;
      pos = writeTimestamp(buf, pos, seconds, nanos);
      pos = writeString(buf, pos, TAG_2_LEN, entry.line, sizes[next++]!);
      for (const pair of entry.metadata) {
        buf[pos++] = TAG_3_LEN;
        pos = writeVarint(buf, pos, sizes[next++]!);
        pos = writeString(buf, pos, TAG_1_LEN, pair.name, sizes[next++]!);
        pos = writeString(buf, pos, TAG_2_LEN, pair.value, sizes[next++]!);
      }
    }
  }
  return buf;
}

function timestampMessageSize(seconds: number, nanos: number): number {
  return (seconds !== 0 ? 1 + varintSize(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

export function writeTimestamp(buf: Buffer, pos: number, seconds: number, nanos: number): number {
  buf[pos++] = TAG_1_LEN;
  buf[pos++] = (seconds !== 0 ? 1 + varintSize(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
  if (seconds !== 0) {
    buf[pos++] = TAG_1_VARINT;
    pos = writeVarint(buf, pos, seconds);
  }
  if (nanos !== 0) {
    buf[pos++] = TAG_2_VARINT;
    pos = writeVarint(buf, pos, nanos);
  }
  return pos;
}

export function writeString(buf: Buffer, pos: number, tag: number, text: string, bytes: number): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes);
  if (bytes === text.length && bytes < SHORT_STRING) {
    for (let i = 0; i < bytes; i++) buf[pos + i] = text.charCodeAt(i);
  } else if (bytes > 0) buf.write(text, pos, bytes, 'utf8');
  return pos + bytes;
}

/**
 * Below this length, measuring and copying a string in JS beats a call into Buffer's native
 * code; most labels, metadata names and values are this short.
 */
const SHORT_STRING = 64;

export function utf8Length(text: string): number {
  if (text.length >= SHORT_STRING) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < text.length; i++) {
    // Anything but plain ASCII: let Buffer count it exactly (surrogate pairs, lone surrogates).
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  }
  return text.length;
}

/** Unsigned varint of a non-negative safe integer. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  while (value > 0x7f) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = value < 0x1_0000_0000 ? value >>> 7 : Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

export function varintSize(value: number): number {
  // Compares for the sizes of every length and timestamp part: a division a byte cost more.
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  let size = 5;
  for (value = Math.floor(value / 0x8_0000_0000); value > 0; value = Math.floor(value / 128)) size++;
  return size;
}
