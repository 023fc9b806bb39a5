/**
 * Reads google.rpc.Status, what OTLP servers send when they refuse a request: in the gRPC
 * `grpc-status-details-bin` trailer and as the body of an OTLP/HTTP error response. A RetryInfo
 * detail says how long to wait before the next attempt.
 */
import { Reader, util } from 'protobufjs/minimal';

export interface RpcStatus {
  code: number;
  message: string;
  /** RetryInfo.retry_delay, when the server sent one. */
  retryDelayMs?: number;
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/** Undefined when the bytes are not a Status: the caller falls back to what it already knows. */
export function decodeRpcStatusProto(bytes: Uint8Array): RpcStatus | undefined {
  try {
    const status: RpcStatus = { code: 0, message: '' };
    const r = Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === 0x08) status.code = r.int32();
      else if (tag === 0x12) status.message = r.string();
      else if (tag === 0x1a) {
        const delay = retryDelayOf(r.bytes());
        if (delay !== undefined) status.retryDelayMs = delay;
      } else r.skipType(tag & 7);
    }
    return status;
  } catch {
    return undefined;
  }
}

/** OTLP/HTTP JSON error bodies: `{"code": 8, "message": "..."}`. */
export function decodeRpcStatusJson(text: string): RpcStatus | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { code, message } = parsed as { code?: unknown; message?: unknown };
    if (typeof message !== 'string') return undefined;
    return { code: typeof code === 'number' ? code : 0, message };
  } catch {
    return undefined;
  }
}

/** google.protobuf.Any → RetryInfo { retry_delay: Duration { seconds, nanos } } in milliseconds. */
function retryDelayOf(anyBytes: Uint8Array): number | undefined {
  const any = Reader.create(anyBytes);
  let typeUrl = '';
  let value: Uint8Array | undefined;
  while (any.pos < any.len) {
    const tag = any.uint32();
    if (tag === 0x0a) typeUrl = any.string();
    else if (tag === 0x12) value = any.bytes();
    else any.skipType(tag & 7);
  }
  if (typeUrl !== RETRY_INFO_TYPE || value === undefined) return undefined;
  const info = Reader.create(value);
  let delayMs: number | undefined;
  while (info.pos < info.len) {
    const tag = info.uint32();
    if (tag !== 0x0a) {
      info.skipType(tag & 7);
      continue;
    }
    const duration = Reader.create(info.bytes());
    let seconds = 0;
    let nanos = 0;
    while (duration.pos < duration.len) {
      const inner = duration.uint32();
      if (inner === 0x08) seconds = util.LongBits.from(duration.int64()).toNumber();
      else if (inner === 0x10) nanos = duration.int32();
      else duration.skipType(inner & 7);
    }
    delayMs = Math.max(0, seconds * 1000 + nanos / 1e6);
  }
  return delayMs;
}
