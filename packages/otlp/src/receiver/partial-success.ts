import type { ConsumeError } from '@sluice/pdata';
import type { PartialSuccess } from '../codec/export-response';

/**
 * A permanent refusal of only some of a request's records is an OTLP partial success: the client
 * is told how many were rejected and why, and does not resend the rest. A retryable refusal, or
 * one that rejected everything (or did not say how much), stays an error.
 */
export function partialSuccess(error: ConsumeError, records: number): PartialSuccess | undefined {
  const rejected = error.rejectedRecords;
  if (error.retryable || rejected === undefined || rejected <= 0 || rejected >= records) return undefined;
  return { rejectedLogRecords: rejected, errorMessage: error.message };
}
