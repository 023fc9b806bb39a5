import type { InstrumentationScope, Resource, ResourceLogs, ScopeLogs } from '@sluice/pdata';

/** Whoever handed records to the batch processor and waits for them to be accepted downstream. */
export interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  /** Records of this waiter still in the queue. */
  queued: number;
  /** Batches holding its records that have not settled yet. */
  inFlight: number;
  error?: unknown;
}

interface Entry {
  resourceLogs: ResourceLogs;
  count: number;
  waiter: Waiter;
}

/**
 * The records waiting in one batcher, in arrival order, each ResourceLogs tagged with the
 * waiter it came from. `take` cuts batches off the front, splitting a ResourceLogs (and a
 * ScopeLogs) when a batch ends inside it, so record order within a resource is kept.
 */
export class RecordQueue {
  private entries: Entry[] = [];
  count = 0;

  add(resourceLogs: ResourceLogs, count: number, waiter: Waiter): void {
    this.entries.push({ resourceLogs, count, waiter });
    this.count += count;
    waiter.queued += count;
  }

  /** Removes up to `limit` records from the front; returns them and the waiters they belong to. */
  take(limit: number): { batch: ResourceLogs[]; waiters: Set<Waiter> } {
    const batch: ResourceLogs[] = [];
    const waiters = new Set<Waiter>();
    let remaining = limit;
    let taken = 0;
    while (remaining > 0 && taken < this.entries.length) {
      const entry = this.entries[taken]!;
      waiters.add(entry.waiter);
      const n = Math.min(entry.count, remaining);
      if (n === entry.count) {
        batch.push(entry.resourceLogs);
        taken++;
      } else {
        batch.push(splitFront(entry.resourceLogs, n));
        entry.count -= n;
      }
      entry.waiter.queued -= n;
      remaining -= n;
    }
    this.entries.splice(0, taken);
    this.count -= limit - remaining;
    return { batch, waiters };
  }
}

/** Moves the first `n` records of `rl` into a new ResourceLogs; `rl` keeps the rest. */
function splitFront(rl: ResourceLogs, n: number): ResourceLogs {
  const front: ScopeLogs[] = [];
  let whole = 0;
  while (n > 0) {
    const scopeLogs = rl.scopeLogs[whole]!;
    if (scopeLogs.logRecords.length <= n) {
      front.push(scopeLogs);
      n -= scopeLogs.logRecords.length;
      whole++;
    } else {
      front.push({ scope: copyScope(scopeLogs.scope), logRecords: scopeLogs.logRecords.splice(0, n), schemaUrl: scopeLogs.schemaUrl });
      n = 0;
    }
  }
  rl.scopeLogs.splice(0, whole);
  // Both halves get their own resource: a later processor editing one batch must not edit the other.
  return { resource: copyResource(rl.resource), scopeLogs: front, schemaUrl: rl.schemaUrl };
}

function copyResource(resource: Resource): Resource {
  return { attributes: resource.attributes.slice(), droppedAttributesCount: resource.droppedAttributesCount };
}

function copyScope(scope: InstrumentationScope): InstrumentationScope {
  return { ...scope, attributes: scope.attributes.slice() };
}
