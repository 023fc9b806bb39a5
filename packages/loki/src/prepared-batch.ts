import { type PayloadCodec } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';
import type { PushBody } from './loki-client';

/**
 * What the sending queue keeps for one accepted batch: its push requests, already encoded and
 * compressed (a few hundred bytes a record instead of the decoded records), the entries each
 * holds, and which ones Loki has taken, so a retry sends only what is missing.
 */
export interface PreparedBatch {
  bodies: PushBody[];
  entries: number[];
  sent: boolean[];
}

/**
 * The on-disk form of a PreparedBatch, for persistent queues. Which parts were sent is not kept:
 * after a restart every part is sent again (at-least-once).
 * Layout: u32 count, then per body: u32 entries, 3 length-prefixed strings (tenant,
 * content type, content encoding), u32 body length, body bytes.
 */
export const preparedBatchCodec: PayloadCodec<PreparedBatch> = {
  encode(batch) {
    let size = 4;
    const strings = batch.bodies.map((b) => [b.tenant, b.contentType, b.contentEncoding ?? ''].map((s) => Buffer.from(s, 'utf8')));
    batch.bodies.forEach((b, i) => {
      size += 4 + strings[i]!.reduce((n, s) => n + 4 + s.length, 0) + 4 + b.body.length;
    });
    const out = Buffer.allocUnsafe(size);
    let at = out.writeUInt32LE(batch.bodies.length, 0);
    batch.bodies.forEach((b, i) => {
      at = out.writeUInt32LE(batch.entries[i]!, at);
      for (const s of strings[i]!) {
        at = out.writeUInt32LE(s.length, at);
        at += s.copy(out, at);
      }
      at = out.writeUInt32LE(b.body.length, at);
      at += b.body.copy(out, at);
    });
    return out;
  },
  decode(bytes) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    const need = (n: number) => {
      if (at + n > buf.length) throw new SluiceError('SLUICE_BAD_DATA', `a persisted Loki batch is truncated at byte ${at}`);
    };
    const u32 = () => {
      need(4);
      const value = buf.readUInt32LE(at);
      at += 4;
      return value;
    };
    const bytesOf = (length: number) => {
      need(length);
      const slice = buf.subarray(at, at + length);
      at += length;
      return slice;
    };
    const count = u32();
    const batch: PreparedBatch = { bodies: [], entries: [], sent: [] };
    for (let i = 0; i < count; i++) {
      batch.entries.push(u32());
      const [tenant, contentType, contentEncoding] = [0, 1, 2].map(() => bytesOf(u32()).toString('utf8')) as [string, string, string];
      const body = Buffer.from(bytesOf(u32()));
      batch.bodies.push(contentEncoding ? { body, contentType, contentEncoding, tenant } : { body, contentType, tenant });
      batch.sent.push(false);
    }
    return batch;
  },
};
