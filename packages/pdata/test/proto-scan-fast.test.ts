import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_DEPTH } from '../src/codec/proto-reader';
import { exactScanLogsProto, scanLogsProto } from '../src/codec/proto-scan';
import { fastScanLogsProto } from '../src/codec/proto-scan-fast';
import { countLogRecords, encodeLogsProto, newLogRecord, type LogsData } from '../src/index';
import { logsData } from './arbitraries';

/** The same bytes at an offset of 0..7 in a larger buffer: the fast path reads whole words of it. */
function placed(bytes: Uint8Array, offset: number, tail: number): Uint8Array {
  const holder = new Uint8Array(new ArrayBuffer(offset + bytes.length + tail));
  holder.set(bytes, offset);
  return holder.subarray(offset, offset + bytes.length);
}

function oneRecord(body: string): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'svc' }], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            logRecords: [newLogRecord({ body, attributes: [{ key: 'k', value: 'v' }] })],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

describe('the scan’s fast path', () => {
  it('walks every request the encoder writes, and counts what decode builds', () => {
    fc.assert(
      fc.property(logsData, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 3 }), (logs, offset, tail) => {
        const bytes = placed(encodeLogsProto(logs), offset, tail);
        const fast = fastScanLogsProto(bytes, true);
        assert.ok(fast, 'the fast path gave up on a well-formed request');
        assert.equal(fast.logRecords, countLogRecords(logs));
        assert.equal(fast.resourceLogs, logs.resourceLogs.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers only where the exact scan accepts, forwards, and counts the same', () => {
    const damage = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() }), {
      minLength: 1,
      maxLength: 3,
    });
    fc.assert(
      fc.property(logsData, damage, fc.boolean(), (logs, steps, strings) => {
        let bytes: Uint8Array = encodeLogsProto(logs);
        for (const { at, byte, cut } of steps) {
          if (bytes.length === 0) break;
          if (cut) bytes = bytes.subarray(0, at % bytes.length);
          else bytes[at % bytes.length] = byte;
        }
        const fast = fastScanLogsProto(bytes, strings);
        if (!fast) return;
        const exact = exactScanLogsProto(bytes, strings);
        assert.deepEqual(exact, { ...fast, forwardable: strings });
      }),
      { numRuns: 5000 },
    );
  });

  it('answers only where the exact scan accepts and forwards, for attributes at the edges of the in-place read', () => {
    // Attribute-shaped bytes, then damaged: lengths at 127/128, varints of 10 and 11 bytes, doubles of
    // 7 to 9, non-ASCII and invalid text, values at and past the depth limit, and mutated lengths and tags.
    let seed = 20250302;
    const next = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number): number => Math.floor(next() * n);
    const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
    const delimited = (tag: number, bytes: number[]): number[] => {
      const length: number[] = [];
      let n = bytes.length;
      for (; n >= 0x80; n >>>= 7) length.push((n & 0x7f) | 0x80);
      return [tag, ...length, n, ...bytes];
    };
    const chars = (): number[] => {
      const length = pick([0, 1, 7, 60, 121, 122, 123, 124, 125, 126, 127, 128]);
      const kind = next();
      if (kind < 0.6) return Array.from({ length }, () => 0x61 + int(26));
      if (kind < 0.8) return [...Buffer.from('é€😀'.repeat(44))].slice(0, length); // valid, or cut mid-character
      return Array.from({ length }, () => pick([0x41, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0xff]));
    };
    const varint = (tag: number): number[] => {
      const bytes = Array.from({ length: int(11) }, () => 0x80 | int(128));
      return [tag, ...bytes, int(next() < 0.5 ? 2 : 128)];
    };
    const scalar = (): number[] =>
      pick([
        () => delimited(0x0a, chars()),
        () => varint(0x18),
        () => varint(0x10),
        () => [0x21, ...Array.from({ length: pick([7, 8, 8, 9]) }, () => int(256))],
        () => delimited(0x3a, chars()),
        () => [],
      ])();
    const keyValue = (value: number[]): number[] => {
      const key = delimited(0x0a, chars());
      const roll = next();
      if (roll < 0.85) return [...key, ...delimited(0x12, value)];
      if (roll < 0.95) return [...delimited(0x12, value), ...key];
      return [...key, ...delimited(0x12, value), ...delimited(0x12, scalar())];
    };
    // A kvlist attribute whose innermost value, a scalar, sits at depth `levels + 1`.
    const nested = (levels: number): number[] => {
      let kv = keyValue(scalar());
      for (let i = 0; i < levels; i++) kv = [...delimited(0x0a, [0x6b]), ...delimited(0x12, delimited(0x32, delimited(0x0a, kv)))];
      return kv;
    };
    const record = (): number[] => {
      const fields: number[] = [];
      for (let n = int(5); n > 0; n--)
        fields.push(...delimited(0x32, next() < 0.03 ? nested(pick([MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH])) : keyValue(scalar())));
      if (next() < 0.5) fields.push(...delimited(0x2a, delimited(0x0a, chars())));
      return fields;
    };
    let answered = 0;
    for (let n = 0; n < 2500; n++) {
      const resource = delimited(0x0a, Array.from({ length: int(3) }, () => delimited(0x0a, keyValue(scalar()))).flat());
      const records = Array.from({ length: 1 + int(3) }, () => delimited(0x12, record())).flat();
      const request = Buffer.from(delimited(0x0a, [...resource, ...delimited(0x12, records)]));
      for (let steps = next() < 0.6 ? 1 + int(2) : 0; steps > 0; steps--) {
        const at = int(request.length);
        request[at] = next() < 0.4 ? (request[at]! + pick([1, -1])) & 0xff : pick([0x00, 0x0a, 0x10, 0x12, 0x18, 0x21, 0x7f, 0x80, 0xff]);
      }
      const bytes = placed(request, int(8), int(4));
      for (const strings of [true, false]) {
        const fast = fastScanLogsProto(bytes, strings);
        if (!fast) continue;
        answered++;
        assert.deepEqual(exactScanLogsProto(bytes, strings), { ...fast, forwardable: strings }, Buffer.from(bytes).toString('hex'));
      }
    }
    assert.ok(answered > 1000, `the fast path answered ${answered} times`);
  });

  it('gives up on a string that is not UTF-8 when strings are checked, wherever its bad byte and its buffer’s words lie', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 70 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 3 }),
        (text, at, offset, tail) => {
          const body = `<${text}>`;
          const encoded = encodeLogsProto(oneRecord(body));
          const start = encoded.indexOf(Buffer.from(body));
          encoded[start + (at % Buffer.byteLength(body))] = 0xff; // never valid in UTF-8
          const bytes = placed(encoded, offset, tail);
          assert.equal(fastScanLogsProto(bytes, true), undefined);
          assert.deepEqual(fastScanLogsProto(bytes, false), { resourceLogs: 1, logRecords: 1 });
        },
      ),
      { numRuns: 2000 },
    );
  });

  // Hand-built bytes. A length-delimited field: tag, length, bytes.
  const field = (tag: number, ...parts: (number[] | Buffer)[]): Buffer => {
    const body = Buffer.concat(parts.map((part) => Buffer.from(part)));
    const length: number[] = [];
    for (let n = body.length; ; n >>>= 7) {
      if (n < 0x80) {
        length.push(n);
        break;
      }
      length.push((n & 0x7f) | 0x80);
    }
    return Buffer.concat([Buffer.from([tag, ...length]), body]);
  };
  const requestOf = (record: Buffer): Buffer => field(0x0a, field(0x12, field(0x12, record)));
  const text = (value: string): Buffer => field(0x0a, Buffer.from(value));

  it('gives up on what only the exact scan judges, and the exact scan then decides', () => {
    const cases: Record<string, Buffer> = {
      'an unknown field': Buffer.concat([requestOf(field(0x2a, text('x'))), Buffer.from([0x7a, 0x00])]),
      'a body sent twice': requestOf(Buffer.concat([field(0x2a, text('x')), field(0x2a)])),
      'a key-value with two values': requestOf(field(0x32, text('k'), field(0x12, text('a')), field(0x12, text('b')))),
      'an AnyValue with two members': requestOf(field(0x2a, text('a'), Buffer.from([0x10, 0x01]))),
      'a trace id of 3 bytes': requestOf(field(0x4a, [1, 2, 3])),
      'a truncated fixed64': requestOf(Buffer.from([0x09, 1, 2, 3])),
    };
    for (const [what, bytes] of Object.entries(cases)) {
      assert.equal(fastScanLogsProto(bytes, false), undefined, what);
      const exact = (() => {
        try {
          return exactScanLogsProto(bytes, true);
        } catch (err) {
          return (err as Error).message;
        }
      })();
      assert.ok(typeof exact === 'string' || !exact.forwardable, `${what}: the exact scan neither refuses nor forwards it`);
    }
    let nested = text('deep');
    for (let i = 0; i < 70; i++) nested = field(0x2a, field(0x0a, nested)); // array_value { values: [nested] }
    assert.equal(fastScanLogsProto(requestOf(field(0x2a, nested)), false), undefined, 'nested past MAX_DEPTH');
    assert.deepEqual(fastScanLogsProto(requestOf(field(0x2a, text('flat'))), true), { resourceLogs: 1, logRecords: 1 });
  });

  it('reads the usual attribute in place only as the general walk would read it', () => {
    const attribute = (key: Buffer, value: Buffer): Buffer => field(0x32, field(0x0a, key), field(0x12, value));
    const double = Buffer.from([0x21, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
    const key = Buffer.from('k');
    // A kvlist attribute holding `inner`, `levels` deep: its last value sits at depth `levels + 1`.
    const inKvlists = (inner: Buffer, levels: number): Buffer => {
      let kv = inner;
      for (let i = 0; i < levels; i++) {
        let contentAt = 2; // past the tag and the length's last byte
        while (kv[contentAt - 1]! >= 0x80) contentAt++;
        kv = field(0x32, field(0x0a, key), field(0x12, field(0x32, field(0x0a, kv.subarray(contentAt)))));
      }
      return kv;
    };
    const answers: Record<string, Buffer> = {
      'a string value': attribute(key, text('v')),
      'an empty key and string': attribute(Buffer.alloc(0), text('')),
      'a non-ASCII key and value': attribute(Buffer.from('ключ'), text('é')),
      'an int': attribute(key, Buffer.from([0x18, 0xff, 0x01])),
      'a bool of 2': attribute(key, Buffer.from([0x10, 0x02])),
      'a double': attribute(key, double),
      'a key of 125 bytes': attribute(Buffer.alloc(125, 0x61), Buffer.from([0x10, 0x01])),
      'a key of 200 bytes': attribute(Buffer.alloc(200, 0x61), text('v')),
      'an empty value': attribute(key, Buffer.alloc(0)),
      'a scalar at the depth limit': inKvlists(attribute(key, Buffer.from([0x10, 0x01])), MAX_DEPTH - 1),
    };
    const givesUp: Record<string, Buffer> = {
      'a key that is not UTF-8': attribute(Buffer.from([0x6b, 0xff]), text('v')),
      'a value that is not UTF-8': attribute(key, text('v').fill(0xff, 2)),
      'a string then an int': attribute(key, Buffer.concat([text('v'), Buffer.from([0x18, 0x01])])),
      'an int then a string': attribute(key, Buffer.from([0x18, 0x01, 0x0a, 0x00])),
      'a double then a bool': attribute(key, Buffer.concat([double, Buffer.from([0x10, 0x01])])),
      'a double cut short': attribute(key, double.subarray(0, 8)),
      'a varint that does not end': attribute(key, Buffer.from([0x18, 0x80])),
      'a value that is not an AnyValue field': attribute(key, Buffer.from([0x7a, 0x00])),
      'a scalar past the depth limit': inKvlists(attribute(key, Buffer.from([0x10, 0x01])), MAX_DEPTH),
    };
    // An attribute that runs past its record into bytes that read as the scope's schema_url.
    const overrun = attribute(key, text('v\x1a\x00'));
    const pastItsRecord = field(0x0a, field(0x12, field(0x12, overrun.subarray(0, -2)), Buffer.from([0x1a, 0x00])));
    assert.equal(fastScanLogsProto(pastItsRecord, true), undefined, 'an attribute past the end of its record');
    assert.throws(() => exactScanLogsProto(pastItsRecord, true));
    for (const [what, record] of Object.entries(answers)) {
      const request = requestOf(record);
      assert.deepEqual(fastScanLogsProto(request, true), { resourceLogs: 1, logRecords: 1 }, what);
      assert.deepEqual(exactScanLogsProto(request, true), { resourceLogs: 1, logRecords: 1, forwardable: true }, what);
    }
    for (const [what, record] of Object.entries(givesUp)) {
      const request = requestOf(record);
      assert.equal(fastScanLogsProto(request, true), undefined, what);
      const exact = (() => {
        try {
          return exactScanLogsProto(request, true).forwardable;
        } catch {
          return 'refused';
        }
      })();
      assert.notEqual(exact, true, `${what}: the exact scan forwards it`);
    }
  });

  it('checks text in a buffer past 2 GiB, where word positions no longer fit an int32', function () {
    const offset = 2 ** 31 + 5;
    let buffer: ArrayBuffer;
    try {
      buffer = new ArrayBuffer(offset + 64); // untouched pages: the system lends them, it does not fill them
    } catch (err) {
      console.log(`      skipped: no 2 GiB ArrayBuffer here (${(err as Error).message})`);
      this.skip();
    }
    const at = (bytes: Buffer): Uint8Array => {
      const request = new Uint8Array(buffer, offset, bytes.length);
      request.set(bytes);
      return request;
    };
    assert.deepEqual(fastScanLogsProto(at(requestOf(field(0x1a, Buffer.from('abcdefgh')))), true), { resourceLogs: 1, logRecords: 1 });
    const bad = at(requestOf(field(0x1a, Buffer.from([0x61, 0x62, 0x63, 0xff, 0x65, 0x66, 0x67, 0x68]))));
    assert.equal(fastScanLogsProto(bad, true), undefined);
    assert.deepEqual(scanLogsProto(bad, { forwarding: true }), { resourceLogs: 1, logRecords: 1, forwardable: false });
  });

  it('draws the exact scan’s lines at their edges, at every alignment, up to the last byte of a buffer', () => {
    const nested = (depth: number): Buffer => {
      let value = text('deep'); // an AnyValue at depth 1
      for (let i = 1; i < depth; i++) value = field(0x2a, field(0x0a, value)); // array_value { values: [value] }
      return field(0x2a, value);
    };
    const bytesOf = (...parts: number[][]) => Buffer.from(parts.flat());
    const answers: Record<string, Buffer> = {
      'values nested MAX_DEPTH deep': requestOf(nested(MAX_DEPTH)),
      'a length in five bytes': requestOf(bytesOf([0x1a, 0x80, 0x80, 0x80, 0x80, 0x00])),
      'a varint in ten bytes': requestOf(bytesOf([0x10], Array<number>(9).fill(0xff), [0x01])),
      'a fixed64 that ends its record': requestOf(bytesOf([0x09], Array<number>(8).fill(1))),
      'a string that ends the request': requestOf(field(0x1a, Buffer.from('abcdé'))),
    };
    const givesUp: Record<string, Buffer> = {
      'values nested past MAX_DEPTH': requestOf(nested(MAX_DEPTH + 1)),
      'a length with bits past the 32nd': requestOf(bytesOf([0x1a, 0x80, 0x80, 0x80, 0x80, 0x10])),
      // 2^32 - 6: read as an int32 it is -6, which would lead the walk back to this tag, for ever.
      'a length past 2^31': requestOf(bytesOf([0x1a, 0xfa, 0xff, 0xff, 0xff, 0x0f])),
      'a varint in eleven bytes': requestOf(bytesOf([0x10], Array<number>(10).fill(0xff), [0x01])),
      'a fixed64 one byte short': requestOf(bytesOf([0x09], Array<number>(7).fill(1))),
      'a string that ends the request with a bad last byte': requestOf(field(0x1a, Buffer.from([0x61, 0x62, 0x63, 0xff]))),
    };
    for (const Holder of [ArrayBuffer, SharedArrayBuffer]) {
      for (let offset = 0; offset < 8; offset++) {
        for (let tail = 0; tail < 4; tail++) {
          const where = `${Holder.name}, offset ${offset}, tail ${tail}`;
          const place = (bytes: Buffer): Uint8Array => {
            const holder = new Uint8Array(new Holder(offset + bytes.length + tail)).fill(0xff);
            holder.set(bytes, offset);
            return holder.subarray(offset, offset + bytes.length);
          };
          for (const [what, bytes] of Object.entries(answers)) {
            const request = place(bytes);
            assert.deepEqual(fastScanLogsProto(request, true), { resourceLogs: 1, logRecords: 1 }, `${what} (${where})`);
            assert.deepEqual(exactScanLogsProto(request, true), { resourceLogs: 1, logRecords: 1, forwardable: true }, what);
          }
          for (const [what, bytes] of Object.entries(givesUp)) {
            const request = place(bytes);
            assert.equal(fastScanLogsProto(request, true), undefined, `${what} (${where})`);
            assert.throws(() => assert.ok(exactScanLogsProto(request, true).forwardable), what);
          }
        }
      }
    }
  });
});
