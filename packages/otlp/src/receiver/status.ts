import { Writer } from 'protobufjs/minimal';
import { ErrorCodes, RETRYABLE_REFUSAL_STATUS, type ConsumeError, type ErrorEntry } from '@sluice/pdata';

/**
 * What the receiver answers when a consumer refuses data: the statuses of the code's catalogue
 * entry when it has them (SLUICE_INTERNAL: 500 / INTERNAL), else a permanent refusal answers as
 * SLUICE_BAD_DATA (400 / INVALID_ARGUMENT, no retry that would fail the same way) and a retryable
 * one as RETRYABLE_REFUSAL_STATUS.
 */
export function refusalStatus(error: ConsumeError): { http: number; grpc: number } {
  const entry: ErrorEntry = ErrorCodes[error.code];
  const fallback = error.retryable ? RETRYABLE_REFUSAL_STATUS : ErrorCodes.SLUICE_BAD_DATA;
  return { http: entry.httpStatus ?? fallback.httpStatus, grpc: entry.grpcStatus ?? fallback.grpcStatus };
}

/**
 * google.rpc.Status, the body OTLP/HTTP error responses carry (and, with a RetryInfo detail,
 * the `grpc-status-details-bin` trailer that tells gRPC clients when to retry).
 */
export function encodeStatusProto(code: number, message: string, retryDelayMs?: number): Buffer {
  const writer = Writer.create();
  if (code !== 0) writer.uint32(8).int32(code);
  if (message) writer.uint32(18).string(message);
  if (retryDelayMs !== undefined) {
    // details: Any { type_url = 1, value = 2: RetryInfo { retry_delay = 1: Duration { seconds = 1, nanos = 2 } } }
    const seconds = Math.floor(retryDelayMs / 1000);
    const nanos = Math.round((retryDelayMs % 1000) * 1e6);
    const duration = Writer.create();
    if (seconds) duration.uint32(8).int64(seconds);
    if (nanos) duration.uint32(16).int32(nanos);
    const retryInfo = Writer.create().uint32(10).bytes(duration.finish()).finish();
    const any = Writer.create().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').uint32(18).bytes(retryInfo).finish();
    writer.uint32(26).bytes(any);
  }
  return Buffer.from(writer.finish());
}

export function encodeStatusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}
