/**
 * Splits a push request whose encoded size would pass `maxBytes` into several, cutting between
 * entries (a stream may continue in the next request). Sizes are estimated from string lengths
 * plus the protobuf framing, so splitting costs no encoding; an entry larger than the limit on
 * its own still travels, alone, and Loki decides. The estimate counts characters, not UTF-8 or
 * escaped bytes, so the exporter cuts again (`cutRequest`) a request whose encoding is over.
 */
import type { PushEntry, PushRequest, PushStream } from './push';

/** Tags, length prefixes and the timestamp of one entry, generously. */
export const ENTRY_OVERHEAD = 24;
export const METADATA_PAIR_OVERHEAD = 8;
export const STREAM_OVERHEAD = 8;

export function estimateEntrySize(entry: PushEntry): number {
  let size = ENTRY_OVERHEAD + entry.line.length;
  for (const pair of entry.metadata) size += METADATA_PAIR_OVERHEAD + pair.name.length + pair.value.length;
  return size;
}

export function splitRequest(request: PushRequest, maxBytes: number): PushRequest[] {
  const out: PushRequest[] = [];
  let streams: PushStream[] = [];
  let size = 0;
  for (const stream of request.streams) {
    const streamSize = STREAM_OVERHEAD + stream.labels.length;
    let current: PushStream | undefined;
    for (const entry of stream.entries) {
      const entrySize = estimateEntrySize(entry);
      const added = entrySize + (current ? 0 : streamSize);
      if (size > 0 && size + added > maxBytes) {
        out.push({ tenant: request.tenant, streams });
        streams = [];
        size = 0;
        current = undefined;
      }
      if (!current) {
        current = { labels: stream.labels, entries: [] };
        streams.push(current);
        size += streamSize;
      }
      current.entries.push(entry);
      size += entrySize;
    }
  }
  if (streams.length > 0) out.push({ tenant: request.tenant, streams });
  return out;
}

/** The first `count` entries of a request and the rest, in order (a stream may continue in the rest). */
export function cutRequest(request: PushRequest, count: number): [PushRequest, PushRequest] {
  const front: PushStream[] = [];
  const rest: PushStream[] = [];
  let left = count;
  for (const stream of request.streams) {
    if (left === 0) rest.push(stream);
    else if (stream.entries.length <= left) {
      front.push(stream);
      left -= stream.entries.length;
    } else {
      front.push({ labels: stream.labels, entries: stream.entries.slice(0, left) });
      rest.push({ labels: stream.labels, entries: stream.entries.slice(left) });
      left = 0;
    }
  }
  return [
    { tenant: request.tenant, streams: front },
    { tenant: request.tenant, streams: rest },
  ];
}
