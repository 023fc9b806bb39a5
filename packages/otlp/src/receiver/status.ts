import { Writer } from 'protobufjs/minimal';

/** gRPC status codes used by the OTLP receiver (google.rpc.Code). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
  UNAVAILABLE: 14,
  INTERNAL: 13,
} as const;

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
