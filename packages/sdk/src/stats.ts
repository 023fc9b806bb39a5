/** What the bridge did with the records it was given. */
export interface BridgeStats {
  /** Records the app logged through the bridge. */
  emitted: number;
  /** Records the collector accepted. */
  exported: number;
  /** Records refused because the queue was full. */
  dropped: number;
  /** Records whose export failed (after the exporter's retries). */
  failed: number;
  /** Records waiting in the queue right now; never more than maxQueueSize. */
  queued: number;
  /** The most recent export failure, if any. */
  lastError?: { message: string; time: Date };
}

/** The bridge's counters, shared by the processor (emitted, dropped) and the exporter (the rest). */
export class BridgeCounters {
  emitted = 0;
  accepted = 0;
  handedToExporter = 0;
  exported = 0;
  dropped = 0;
  failed = 0;
  lastError: { message: string; time: Date } | undefined;

  /** Accepted but not yet taken by the exporter. */
  get queued(): number {
    return this.accepted - this.handedToExporter;
  }

  /** Accepted and not yet settled (queued or in flight). */
  get pending(): number {
    return this.accepted - this.exported - this.failed;
  }

  snapshot(): BridgeStats {
    const { emitted, exported, dropped, failed, queued, lastError } = this;
    return { emitted, exported, dropped, failed, queued, ...(lastError ? { lastError } : {}) };
  }
}
