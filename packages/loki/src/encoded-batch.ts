import type { HttpPost } from '@sluice/core';

/**
 * One batch as Loki push requests, encoded and compressed once before its first attempt: the
 * requests (one per tenant, split above max_request_bytes), the entries each holds, and which ones
 * Loki has answered, so a retry sends only what is missing and still reports what Loki refused
 * for good in an earlier attempt.
 */
export interface EncodedBatch {
  requests: HttpPost[];
  entries: number[];
  /** Answered for good: taken, or refused permanently. */
  sent: boolean[];
  /** Entries of the requests Loki refused permanently, with its reasons and last status. */
  rejected: number;
  reasons: string[];
  status?: string;
}
