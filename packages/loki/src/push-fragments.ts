/**
 * A request's push fragments: mapped to streams, one request per tenant, split under
 * max_request_bytes, encoded but not compressed. Written straight from the protobuf bytes the
 * request arrived as when the transcoder covers the case (raw and json lines, protobuf pushes: the same
 * bytes, without decoding), else from the logs model.
 */
import { forwardableWireBytesOf, wireBytesOf, type LogsData } from '@sluice/pdata';
import { JSON_PUSH_FRAMING, encodeJsonStreams } from './json-encoder';
import type { MappingOptions } from './mapping-options';
import { encodePushRequestProto } from './proto-encoder';
import type { PushRequest } from './push';
import type { PushFragment } from './queued-push';
import { cutRequest, splitRequest } from './split';
import { mapToStreams, type LimitedLabelListener } from './streams';
import { wirePushFragments } from './wire-push';

export interface FragmentSettings {
  encoding: 'protobuf' | 'json';
  maxRequestBytes: number;
  /** Memory for the transcoder's fragments (the exporter's `ByteArena`); fresh Buffers by default. */
  allocate?: (size: number) => Buffer;
}

export function pushFragments(
  logs: LogsData,
  mapping: MappingOptions,
  receiveTimeNs: bigint,
  settings: FragmentSettings,
  onLimited?: LimitedLabelListener,
): PushFragment[] {
  if (settings.encoding === 'protobuf') {
    // Bytes that may be forwarded as they came hold only valid UTF-8 strings: the scan checked them.
    const checked = forwardableWireBytesOf(logs);
    const wire = checked ?? wireBytesOf(logs);
    const fragments =
      wire && wirePushFragments(wire, mapping, receiveTimeNs, settings.maxRequestBytes, settings.allocate, checked !== undefined);
    if (fragments !== undefined) return fragments;
  }
  const requests = mapToStreams(logs, mapping, receiveTimeNs, onLimited).flatMap((r) => splitRequest(r, settings.maxRequestBytes));
  return requests.flatMap((request) => toFragment(request, settings));
}

/** A request's fragment; one that encodes over max_request_bytes (multi-byte or escaped lines) is halved until it fits. */
function toFragment(request: PushRequest, settings: FragmentSettings): PushFragment[] {
  const body = settings.encoding === 'protobuf' ? encodePushRequestProto(request.streams) : encodeJsonStreams(request.streams);
  const entries = request.streams.reduce((n, s) => n + s.entries.length, 0);
  const framing = settings.encoding === 'json' ? JSON_PUSH_FRAMING.push : 0;
  if (body.length + framing <= settings.maxRequestBytes || entries < 2) return [{ tenant: request.tenant, body, entries }];
  return cutRequest(request, Math.floor(entries / 2)).flatMap((half) => toFragment(half, settings));
}
