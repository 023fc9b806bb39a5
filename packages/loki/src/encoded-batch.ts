import type { HttpPost } from '@sluice/core';

/**
 * One batch as Loki push requests, encoded and compressed once before its first attempt: the
 * requests (one per tenant, split above max_request_bytes), the entries each holds, and which ones
 * Loki has taken, so a retry sends only what is missing.
 */
export interface EncodedBatch {
  requests: HttpPost[];
  entries: number[];
  sent: boolean[];
}
