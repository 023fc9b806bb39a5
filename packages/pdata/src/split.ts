/**
 * Cutting LogsData at a record count, for batchers that cap a batch's size. Records are never
 * copied and the input is never changed: the halves share resources, scopes and records with it,
 * so they are for consumers that only read (exporters); a consumer that edits must copy first.
 */
import type { LogsData, ResourceLogs, ScopeLogs } from './model';

/** The first `count` records and the rest, in order. */
export function splitLogs(logs: LogsData, count: number): [LogsData, LogsData] {
  const front: ResourceLogs[] = [];
  const rest: ResourceLogs[] = [];
  let left = count;
  for (const rl of logs.resourceLogs) {
    if (left === 0) {
      rest.push(rl);
      continue;
    }
    const records = rl.scopeLogs.reduce((n, sl) => n + sl.logRecords.length, 0);
    if (records <= left) {
      front.push(rl);
      left -= records;
      continue;
    }
    const [frontScopes, restScopes] = splitScopes(rl.scopeLogs, left);
    front.push({ ...rl, scopeLogs: frontScopes });
    rest.push({ ...rl, scopeLogs: restScopes });
    left = 0;
  }
  return [{ resourceLogs: front }, { resourceLogs: rest }];
}

function splitScopes(scopeLogs: ScopeLogs[], count: number): [ScopeLogs[], ScopeLogs[]] {
  const front: ScopeLogs[] = [];
  const rest: ScopeLogs[] = [];
  let left = count;
  for (const sl of scopeLogs) {
    const size = sl.logRecords.length;
    if (left === 0) rest.push(sl);
    else if (size <= left) {
      front.push(sl);
      left -= size;
    } else {
      front.push({ ...sl, logRecords: sl.logRecords.slice(0, left) });
      rest.push({ ...sl, logRecords: sl.logRecords.slice(left) });
      left = 0;
    }
  }
  return [front, rest];
}

/** One LogsData holding every batch's resources in order, without copying them. */
export function concatLogs(batches: readonly LogsData[]): LogsData {
  if (batches.length === 1) return batches[0]!;
  const resourceLogs: ResourceLogs[] = [];
  for (const batch of batches) for (const rl of batch.resourceLogs) resourceLogs.push(rl);
  return { resourceLogs };
}
