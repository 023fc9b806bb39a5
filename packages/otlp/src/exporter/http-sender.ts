/**
 * OTLP/HTTP export on core's HTTP push client, with the answer read as the OTLP spec says: 2xx ok
 * (maybe partial success); 429, 502, 503, 504 and connection errors retryable, honouring
 * Retry-After; any other status permanent, with the server's google.rpc.Status message.
 */
import { HttpPushClient, type HttpEndpointOptions, type SendOutcome } from '@sluice/core';
import { exportResponseOutcome } from '../codec/export-response';
import { decodeRpcStatusJson, decodeRpcStatusProto } from './rpc-status';

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function createOtlpHttpSender(endpoint: HttpEndpointOptions): HttpPushClient {
  return new HttpPushClient({
    ...endpoint,
    retryableStatus: (status) => RETRYABLE_STATUS.has(status),
    accepted,
    errorMessage: statusMessage,
  });
}

function accepted(bytes: Buffer, contentType: string): SendOutcome {
  return exportResponseOutcome(bytes, contentType.includes('json') ? 'json' : 'proto');
}

/** The google.rpc.Status message the spec puts in error bodies; undefined lets the body be read as text. */
function statusMessage(bytes: Buffer, contentType: string): string | undefined {
  if (contentType.includes('application/x-protobuf') || contentType.includes('application/protobuf'))
    return decodeRpcStatusProto(bytes)?.message;
  if (contentType.includes('json')) return decodeRpcStatusJson(bytes.toString('utf8'))?.message;
  return undefined;
}
