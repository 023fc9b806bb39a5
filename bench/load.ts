import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  records: number;
  failed: number;
  seconds: number;
  /** Records the client gave up on without sending (an SDK's full queue). */
  dropped?: number;
  /** Request round trips, when the load measured them. */
  latencyMs?: { p50: number; p99: number };
}

/**
 * A refused request (429/503: the collector's queues are full) waits this long before the next
 * one, as an OTLP client backs off; without it the generator would spin the collector in refusals.
 */
const BACKOFF_MS = 50;

/**
 * Posts pre-encoded OTLP/HTTP protobuf bodies (in turn) over `connections` keep-alive connections
 * for `seconds` (or until `maxRequests` have been sent), one request in flight per connection,
 * as an OTLP exporter would.
 */
export async function generateLoad(
  url: string,
  bodies: readonly Uint8Array[],
  recordsPerRequest: number,
  seconds: number,
  connections = 8,
  maxRequests = Infinity,
): Promise<LoadResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const deadline = Date.now() + seconds * 1000;
  let requests = 0;
  let failed = 0;
  let sent = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (Date.now() < deadline && sent < maxRequests) {
      const body = bodies[sent++ % bodies.length]!;
      try {
        const res = await pool.request({
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        await res.body.dump();
        if (res.statusCode === 200) {
          requests++;
          continue;
        }
        failed++;
      } catch {
        failed++;
      }
      await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS));
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return { requests, records: requests * recordsPerRequest, failed, seconds: elapsed };
}

/**
 * Posts `body` (one request's worth) over one keep-alive connection, one request at a time, for
 * `seconds`, timing each round trip from send to the end of the answer: what a sender waits per
 * log call when it waits for the collector.
 */
export async function measureRoundTrips(url: string, body: Uint8Array, recordsPerRequest: number, seconds: number): Promise<LoadResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  const deadline = Date.now() + seconds * 1000;
  const rounds: number[] = [];
  let failed = 0;
  const started = process.hrtime.bigint();
  while (Date.now() < deadline) {
    const sent = process.hrtime.bigint();
    const res = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    await res.body.dump();
    if (res.statusCode === 200) rounds.push(Number(process.hrtime.bigint() - sent) / 1e6);
    else failed++;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  rounds.sort((a, b) => a - b);
  const at = (share: number) => rounds[Math.min(rounds.length - 1, Math.floor(share * rounds.length))] ?? NaN;
  return {
    requests: rounds.length,
    records: rounds.length * recordsPerRequest,
    failed,
    seconds: elapsed,
    latencyMs: { p50: at(0.5), p99: at(0.99) },
  };
}
