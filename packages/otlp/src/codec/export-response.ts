import { ProtoReader, ProtoWriter, SluiceError, int64Size, uint32Size } from '@sluice/pdata';
import type { SendOutcome } from '@sluice/core';

/*
 * ExportLogsServiceResponse: empty when everything was accepted; otherwise
 * partial_success (field 1) { rejected_log_records (1, int64), error_message (2, string) }.
 */

export interface PartialSuccess {
  rejectedLogRecords: number;
  errorMessage: string;
}

/** Everything accepted: the empty message, shared (it has no bytes to change). */
const ACCEPTED = Buffer.alloc(0);

export function encodeExportResponseProto(partial?: PartialSuccess): Buffer {
  if (partial === undefined) return ACCEPTED;
  const rejected = BigInt(partial.rejectedLogRecords);
  const messageLength = Buffer.byteLength(partial.errorMessage, 'utf8');
  let inner = 0;
  if (rejected !== 0n) inner += 1 + int64Size(rejected);
  if (messageLength !== 0) inner += 1 + uint32Size(messageLength) + messageLength;
  const w = new ProtoWriter(1 + uint32Size(inner) + inner, [inner, messageLength]);
  w.byte(0x0a);
  w.lengthPrefix();
  if (rejected !== 0n) {
    w.byte(0x08);
    w.int64(rejected);
  }
  if (messageLength !== 0) {
    w.byte(0x12);
    w.string(partial.errorMessage);
  }
  return w.buf;
}

export function encodeExportResponseJson(partial?: PartialSuccess): string {
  if (partial === undefined) return '{}';
  return JSON.stringify({
    partialSuccess: {
      rejectedLogRecords: partial.rejectedLogRecords === 0 ? undefined : String(partial.rejectedLogRecords),
      errorMessage: partial.errorMessage || undefined,
    },
  });
}

/** The partial success the server reported, or undefined when it reported none. */
export function decodeExportResponseProto(bytes: Uint8Array): PartialSuccess | undefined {
  const r = new ProtoReader(bytes);
  let partial: PartialSuccess | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag !== 0x0a) {
      r.skip(tag, [undefined, 'partial_success']);
      continue;
    }
    partial ??= { rejectedLogRecords: 0, errorMessage: '' };
    const end = r.lengthEnd();
    const outer = r.end;
    r.end = end;
    while (r.pos < end) {
      const inner = r.tag();
      if (inner === 0x08) partial.rejectedLogRecords = Number(r.int64());
      else if (inner === 0x12) partial.errorMessage = r.string();
      else r.skip(inner, [undefined, 'rejected_log_records', 'error_message']);
    }
    r.end = outer;
  }
  return partial;
}

/**
 * A successful export's response as a SendOutcome: all accepted, or the records a partial
 * success says the server rejected. No body, or an empty one, is a full success.
 */
export function exportResponseOutcome(response: Uint8Array | undefined, encoding: 'proto' | 'json'): SendOutcome {
  let partial;
  try {
    partial =
      response === undefined || response.length === 0
        ? undefined
        : encoding === 'json'
          ? decodeExportResponseJson(response)
          : decodeExportResponseProto(response);
  } catch {
    // The server took the data; an unreadable response cannot make that untrue.
    return { ok: true };
  }
  if (!partial || partial.rejectedLogRecords <= 0) return { ok: true };
  return {
    ok: true,
    rejectedRecords: partial.rejectedLogRecords,
    message: partial.errorMessage || 'the server rejected part of the batch',
  };
}

export function decodeExportResponseJson(text: string | Uint8Array): PartialSuccess | undefined {
  const source = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
  if (source.trim() === '') return undefined; // some servers answer success with an empty body
  let root: unknown;
  try {
    root = JSON.parse(source);
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_DATA', `invalid JSON export response: ${(err as Error).message}`);
  }
  if (!isObject(root)) throw new SluiceError('SLUICE_BAD_DATA', 'invalid JSON export response: expected an object');
  const partial = root.partialSuccess ?? root.partial_success;
  if (partial === undefined || partial === null) return undefined;
  if (!isObject(partial)) throw new SluiceError('SLUICE_BAD_DATA', 'invalid JSON export response: partialSuccess: expected an object');
  const rejected = partial.rejectedLogRecords ?? partial.rejected_log_records ?? 0;
  const message = partial.errorMessage ?? partial.error_message ?? '';
  const count = typeof rejected === 'string' && /^-?\d{1,20}$/.test(rejected) ? Number(rejected) : rejected;
  if (typeof count !== 'number' || !Number.isInteger(count)) {
    throw new SluiceError('SLUICE_BAD_DATA', 'invalid JSON export response: partialSuccess.rejectedLogRecords: expected an integer');
  }
  if (typeof message !== 'string') {
    throw new SluiceError('SLUICE_BAD_DATA', 'invalid JSON export response: partialSuccess.errorMessage: expected a string');
  }
  return { rejectedLogRecords: count, errorMessage: message };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
