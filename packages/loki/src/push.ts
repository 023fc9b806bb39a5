import type { LabelPair } from './label-string';

/** One Loki entry: a nanosecond timestamp, the line, and Loki 3 structured metadata. */
export interface PushEntry {
  timestampNs: bigint;
  line: string;
  metadata: LabelPair[];
}

/** A Loki stream: the label set in its text form (`{a="b"}`, names sorted) and its entries in time order. */
export interface PushStream {
  labels: string;
  entries: PushEntry[];
}

/** What one push request carries: all of it goes to one tenant. */
export interface PushRequest {
  /** X-Scope-OrgID; '' when none is sent. */
  tenant: string;
  streams: PushStream[];
}
