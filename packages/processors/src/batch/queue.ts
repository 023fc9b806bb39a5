import type { ConsumeError, InstrumentationScope, Resource, ResourceLogs, ScopeLogs } from '@sluice/pdata';

/** Whoever handed records to the batch processor and waits for them to be accepted downstream. */
export interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  /** Records of this waiter still in the queue. */
  queued: number;
  /** Batches holding its records that have not settled yet. */
  inFlight: number;
  /** The refusal it will hear if any of its batches is refused. */
  error?: ConsumeError;
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

  /**
   * Removes whole ResourceLogs from the front until the batch holds at least `enough` records,
   * never more than `max` (the ResourceLogs that crosses `max` is split); returns them and the
   * waiters they belong to.
   */
  take(enough: number, max: number): { batch: ResourceLogs[]; waiters: Set<Waiter>; count: number } {
    const batch: ResourceLogs[] = [];
    const waiters = new Set<Waiter>();
    let count = 0;
    let taken = 0;
    while (count < enough && count < max && taken < this.entries.length) {
      const entry = this.entries[taken]!;
      waiters.add(entry.waiter);
      const n = Math.min(entry.count, max - count);
      if (n === entry.count) {
        batch.push(entry.resourceLogs);
        taken++;
      } else {
        const [front, rest] = splitAt(entry.resourceLogs, n);
        batch.push(front);
        entry.resourceLogs = rest;
        entry.count -= n;
      }
      entry.waiter.queued -= n;
      count += n;
    }
    this.entries.splice(0, taken);
    this.count -= count;
    return { batch, waiters, count };
  }
}

/**
 * Splits `rl` after its first `n` records without changing it: the batch processor does not
 * declare `mutatesData`, so `rl` may be shared with other pipelines. Records are not copied.
 */
function splitAt(rl: ResourceLogs, n: number): [ResourceLogs, ResourceLogs] {
  const front: ScopeLogs[] = [];
  const rest: ScopeLogs[] = [];
  let left = n;
  for (const scopeLogs of rl.scopeLogs) {
    const size = scopeLogs.logRecords.length;
    if (left === 0) {
      rest.push(scopeLogs);
    } else if (size <= left) {
      front.push(scopeLogs);
      left -= size;
    } else {
      const { scope, logRecords, schemaUrl } = scopeLogs;
      front.push({ scope: copyScope(scope), logRecords: logRecords.slice(0, left), schemaUrl });
      rest.push({ scope, logRecords: logRecords.slice(left), schemaUrl });
      left = 0;
    }
  }
  // The front gets its own resource: a later processor editing one batch must not edit the other.
  return [
    { resource: copyResource(rl.resource), scopeLogs: front, schemaUrl: rl.schemaUrl },
    { resource: rl.resource, scopeLogs: rest, schemaUrl: rl.schemaUrl },
  ];
}

function copyResource(resource: Resource): Resource {
  return { attributes: resource.attributes.slice(), droppedAttributesCount: resource.droppedAttributesCount };
}

function copyScope(scope: InstrumentationScope): InstrumentationScope {
  return { ...scope, attributes: scope.attributes.slice() };
}
