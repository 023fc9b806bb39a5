/**
 * How the Loki exporter's memory queue holds a request: already mapped to streams and encoded,
 * uncompressed, as push fragments per tenant. Protobuf `PushRequest`s join by concatenation
 * (`streams` is a repeated field) and JSON fragments join with commas, so a batch is merged
 * without decoding anything and compressed once, at its first send. A queue of these holds a
 * few Buffers per request instead of thousands of decoded objects, which the garbage collector
 * would otherwise promote and mark while they wait.
 */
import type { ByteArena, QueueForm } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';

export interface PushFragment {
  /** X-Scope-OrgID; '' when none is sent. */
  tenant: string;
  /** Encoded streams: a protobuf PushRequest, or `encodeJsonStreams` output. */
  body: Buffer;
  entries: number;
}

export interface QueuedPush {
  fragments: PushFragment[];
}

/** `arena`: where `toFragments` takes fragment memory from; it gets it back once the batch is encoded. */
export function pushQueueForm(toFragments: (logs: LogsData) => PushFragment[], arena: ByteArena): QueueForm<QueuedPush> {
  return {
    prepare: (logs) => ({ fragments: toFragments(logs) }),
    merge: (items) => ({ fragments: items.flatMap((item) => item.fragments) }),
    bytes: (item) => item.fragments.reduce((n, fragment) => n + fragment.body.length, 0),
    release: (item) => {
      for (const fragment of item.fragments) arena.giveBack(fragment.body);
    },
  };
}

/** Bytes a push body adds around its fragments: once per push, and between two fragments. */
export interface PushFraming {
  push: number;
  join: number;
}

/**
 * Fragments grouped into pushes: one tenant each, in order, each body (framing included) under
 * `maxBytes` unless one fragment alone is over.
 */
export function groupPushes(
  fragments: readonly PushFragment[],
  maxBytes: number,
  framing: PushFraming = { push: 0, join: 0 },
): PushFragment[][] {
  const pushes: PushFragment[][] = [];
  const open = new Map<string, { fragments: PushFragment[]; bytes: number }>();
  for (const fragment of fragments) {
    let current = open.get(fragment.tenant);
    if (!current || (current.fragments.length > 0 && current.bytes + framing.join + fragment.body.length > maxBytes)) {
      current = { fragments: [], bytes: framing.push };
      open.set(fragment.tenant, current);
      pushes.push(current.fragments);
    } else if (current.fragments.length > 0) current.bytes += framing.join;
    current.fragments.push(fragment);
    current.bytes += fragment.body.length;
  }
  return pushes;
}
