/**
 * Loki push fragments straight from the protobuf bytes of an ExportLogsServiceRequest: bodies
 * and attribute strings are copied as bytes into the push request instead of being decoded to
 * strings, mapped as objects and encoded again.
 *
 * It covers the common case: protobuf push, `raw` or `json` lines (wire-json-line.ts), labels from resource attributes only,
 * no `loki.*` hint on a record, no per-record labels or copied metadata attributes, and a request
 * that fits in one fragment. For anything else it answers `undefined` and the caller takes the
 * model path (`pushFragments`). When it answers, its fragments are byte for byte the ones
 * `pushFragments(decodeLogsProto(bytes), ...)` makes for protobuf. Everything that depends only
 * on a resource is left to the model path's own `planResource`.
 */
import { isUtf8 } from 'node:buffer';
import {
  ProtoReader,
  SluiceError,
  anyValueToString,
  detectedLevel,
  emptyResource,
  readAnyValueProto,
  readResourceProto,
} from '@sluice/pdata';
import { normalizeLabelName } from './label-name';
import type { LabelPair } from './label-string';
import type { MappingOptions } from './mapping-options';
import {
  TAG_1_LEN,
  TAG_2_LEN,
  TAG_3_LEN,
  timestampMessageSize,
  utf8Length,
  varintSize,
  writeString,
  writeTimestamp,
  writeVarint,
} from './proto-encoder';
import type { PushFragment } from './queued-push';
import { WireJsonLine, wireScopePart } from './wire-json-line';
import { ENTRY_OVERHEAD, METADATA_PAIR_OVERHEAD, STREAM_OVERHEAD } from './split';
import { planResource, type ResourcePlan } from './streams';

/**
 * The push fragments of `bytes` (an ExportLogsServiceRequest the receiver accepted) for protobuf
 * encoding, or undefined when this request needs the model path.
 */
export function wirePushFragments(
  bytes: Uint8Array,
  options: MappingOptions,
  receiveTimeNs: bigint,
  maxRequestBytes: number,
): PushFragment[] | undefined {
  if (options.attributeLabels.size > 0 || options.levelLabel || options.metadataAttributes.size > 0) return undefined;
  try {
    return transcoder.run(bytes, options, receiveTimeNs, maxRequestBytes);
  } catch (err) {
    // Bytes the decoder would refuse: the model path reports them properly. Anything else is a bug.
    if (err instanceof SluiceError) return undefined;
    throw err;
  } finally {
    transcoder.release();
  }
}

// Unknown to the transcoder: every field it does not read is skipped.
const NO_FIELD_NAMES: readonly (string | undefined)[] = [];

// How a metadata value (or the line) is written.
const VALUE_BYTES = 0; // a valid UTF-8 range of the request
const VALUE_HEX = 1; // an id range, as lowercase hex
const VALUE_TEXT = 2; // a string, for values that are not plain valid UTF-8 strings on the wire

const NS_PER_SECOND = 1e9;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** Below this, a byte loop beats a call into Buffer's native copy or UTF-8 check. */
const SHORT_BYTES = 24;

/** The scratch the entries are written to is kept between calls up to this size. */
const SCRATCH_KEEP = 1 << 20;

class WireTranscoder {
  private r = new ProtoReader(Buffer.alloc(0));
  private buf = this.r.buf;
  private options!: MappingOptions;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  // Entries in record order: where each is encoded in `scratch`, its time and its stream.
  private readonly entryStart: number[] = [];
  private readonly entryEnd: number[] = [];
  private readonly entryHi: number[] = [];
  private readonly entryLo: number[] = [];
  private readonly entryStream: number[] = [];
  private streams = new Map<string, number>();
  private readonly streamLabels: string[] = [];
  /** split.ts's size estimate, from byte lengths: never below the model path's, which counts characters. */
  private estimate = 0;

  // The record being read: its attributes, then its metadata pairs.
  private readonly attrStart: number[] = [];
  private readonly attrEnd: number[] = [];
  /** Each pair's name, encoded as its field (tag, length, bytes). */
  private readonly pairName: Buffer[] = [];
  private readonly pairKind: number[] = [];
  private readonly pairStart: number[] = [];
  private readonly pairEnd: number[] = [];
  private readonly pairText: string[] = [];
  private readonly pairLength: number[] = [];
  private readonly pairSize: number[] = [];
  private pairs = 0;

  /**
   * The key last seen at each attribute index and its label name: the records of a request tend
   * to repeat their keys in the same order, and comparing bytes is cheaper than decoding and
   * normalising the key again.
   */
  private readonly keyStart: number[] = [];
  private readonly keyEnd: number[] = [];
  private readonly keyName: Buffer[] = [];
  private keys = 0;
  // The same for the severity text, and the metadata pairs of the last severity.
  private severityStart = 0;
  private severityEnd = 0;
  private severityText = '';
  private pairsSeverityNumber = 0;
  private pairsSeverityText = '';
  private severityMetadata: Buffer = Buffer.alloc(0);
  private severityEstimate = 0;

  // The last value read by `value`.
  private valueKind = VALUE_BYTES;
  private valueStart = 0;
  private valueEnd = 0;
  private valueText = '';

  private readonly jsonLine = new WireJsonLine();

  // The last time split by `splitTime`, and its split of `hi:0`.
  private seconds = 0;
  private nanos = 0;
  private baseHi = -1;
  private baseSeconds = 0;
  private baseNanos = 0;

  run(bytes: Uint8Array, options: MappingOptions, receiveTimeNs: bigint, maxRequestBytes: number): PushFragment[] | undefined {
    const r = (this.r = new ProtoReader(bytes));
    this.buf = r.buf;
    this.options = options;
    this.pos = 0;
    this.estimate = 0;
    this.entryStart.length = this.entryEnd.length = this.entryHi.length = this.entryLo.length = this.entryStream.length = 0;
    this.streams = new Map();
    this.streamLabels.length = 0;
    this.keys = 0;
    this.severityStart = this.severityEnd = 0;
    this.severityText = '';
    this.pairsSeverityNumber = 0;
    this.pairsSeverityText = '';
    this.severityMetadata = NO_METADATA;
    this.severityEstimate = 0;
    const receiveHi = Number(receiveTimeNs >> 32n);
    const receiveLo = Number(receiveTimeNs & 0xffff_ffffn);
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag !== 0x0a) {
        r.skip(tag, NO_FIELD_NAMES);
        continue;
      }
      const end = r.lengthEnd();
      if (!this.resourceLogs(end, receiveHi, receiveLo)) return undefined;
      r.pos = end;
    }
    return this.fragments(maxRequestBytes);
  }

  /** Drops what would pin the caller's request or a large scratch in memory. */
  release(): void {
    this.r = new ProtoReader(Buffer.alloc(0));
    this.buf = this.r.buf;
    if (this.scratch.length > SCRATCH_KEEP) this.scratch = Buffer.allocUnsafe(64 * 1024);
  }

  private resourceLogs(end: number, receiveHi: number, receiveLo: number): boolean {
    const r = this.r;
    const outer = r.end;
    r.end = end;
    const start = r.pos;
    // The resource may follow its scopes on the wire, and is needed first.
    const resource = emptyResource();
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === 0x0a) readResourceProto(r, r.lengthEnd(), resource);
      else r.skip(tag, NO_FIELD_NAMES);
    }
    const plan = planResource(resource, this.options);
    // Hints that steer each record (tenant, attribute labels) and logfmt lines are the model path's.
    if (plan.format === 'logfmt' || plan.tenantHint !== undefined || plan.attributeLabelHints.length > 0) return false;
    const resourceMetadata = encodeMetadata(plan.metadata);
    const resourceEstimate = metadataEstimate(plan.metadata);
    let stream = -1;
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag !== 0x12) {
        r.skip(tag, NO_FIELD_NAMES);
        continue;
      }
      const scopeEnd = r.lengthEnd();
      // The end of a json line: its resource's part and its scope's.
      const jsonTail = plan.format === 'json' ? this.jsonLine.tail(plan.linePart, wireScopePart(r, scopeEnd)) : undefined;
      r.end = scopeEnd;
      while (r.pos < scopeEnd) {
        const scopeTag = r.tag();
        if (scopeTag !== 0x12) {
          r.skip(scopeTag, NO_FIELD_NAMES);
          continue;
        }
        const recordEnd = r.lengthEnd();
        if (stream < 0) stream = this.streamOf(plan);
        if (!this.record(recordEnd, stream, resourceMetadata, resourceEstimate, receiveHi, receiveLo, jsonTail)) return false;
        r.pos = recordEnd;
      }
      r.end = end;
    }
    r.end = outer;
    return true;
  }

  /** Streams in first-seen order, as the model path's Map keeps them. */
  private streamOf(plan: ResourcePlan): number {
    let index = this.streams.get(plan.labelString);
    if (index === undefined) {
      index = this.streamLabels.push(plan.labelString) - 1;
      this.streams.set(plan.labelString, index);
      this.estimate += STREAM_OVERHEAD + plan.labelString.length;
    }
    return index;
  }

  /**
   * Reads one LogRecord and writes its entry to the scratch, its line raw or, given `jsonTail`,
   * json; false when the record needs the model path.
   */
  private record(
    end: number,
    stream: number,
    resourceMetadata: Buffer,
    resourceEstimate: number,
    receiveHi: number,
    receiveLo: number,
    jsonTail: Buffer | undefined,
  ): boolean {
    const r = this.r;
    const start = r.pos;
    const outer = r.end;
    r.end = end;
    let timeHi = 0;
    let timeLo = 0;
    let observedHi = 0;
    let observedLo = 0;
    let severityNumber = 0;
    let severityText = '';
    let bodyStart = -1;
    let bodyEnd = 0;
    let traceStart = 0;
    let traceEnd = 0;
    let spanStart = 0;
    let spanEnd = 0;
    let attributes = 0;
    while (r.pos < end) {
      const tag = r.tag();
      switch (tag) {
        case 0x09:
          timeLo = r.fixed32();
          timeHi = r.fixed32();
          break;
        case 0x10:
          severityNumber = r.int32();
          break;
        case 0x1a:
          severityText = this.severity();
          break;
        case 0x2a:
          bodyEnd = r.lengthEnd();
          bodyStart = r.pos;
          r.pos = bodyEnd;
          break;
        case 0x32: {
          const attributeEnd = r.lengthEnd();
          this.attrStart[attributes] = r.pos;
          this.attrEnd[attributes++] = attributeEnd;
          r.pos = attributeEnd;
          break;
        }
        case 0x4a:
          traceEnd = r.lengthEnd();
          traceStart = r.pos;
          r.pos = traceEnd;
          break;
        case 0x52:
          spanEnd = r.lengthEnd();
          spanStart = r.pos;
          r.pos = spanEnd;
          break;
        case 0x59:
          observedLo = r.fixed32();
          observedHi = r.fixed32();
          break;
        default:
          r.skip(tag, NO_FIELD_NAMES);
      }
    }
    r.end = outer;
    // Ids of another size are refused by the decoder.
    if ((traceEnd - traceStart !== 16 && traceEnd !== traceStart) || (spanEnd - spanStart !== 8 && spanEnd !== spanStart)) return false;

    // The metadata pairs, in addStandardMetadata + addRawMetadata (raw lines only) order.
    this.pairs = 0;
    const metadata = this.options.structuredMetadata;
    if (metadata) {
      if (traceEnd !== traceStart) this.addPair(TRACE_ID, VALUE_HEX, traceStart, traceEnd, '');
      if (spanEnd !== spanStart) this.addPair(SPAN_ID, VALUE_HEX, spanStart, spanEnd, '');
      this.severityPairs(severityNumber, severityText);
    }
    // The severity pairs follow the ids.
    const severityAt = this.pairs;
    const severityMetadata = metadata ? this.severityMetadata : NO_METADATA;
    let lineSource = this.buf;
    if (jsonTail !== undefined) {
      if (!this.jsonLine.write(r, start, end, jsonTail)) return false;
      lineSource = this.jsonLine.out;
      this.valueKind = VALUE_BYTES;
      this.valueStart = 0;
      this.valueEnd = this.jsonLine.length;
    } else {
      for (let i = 0; i < attributes; i++) {
        if (!this.attribute(i, this.attrStart[i]!, this.attrEnd[i]!, metadata)) return false;
      }
      if (bodyStart >= 0) this.value(bodyStart, bodyEnd);
      else this.setText('');
    }
    const lineKind = this.valueKind;
    const lineStart = this.valueStart;
    const lineEnd = this.valueEnd;
    const lineText = this.valueText;
    const lineLength = lineKind === VALUE_BYTES ? lineEnd - lineStart : utf8Length(lineText);

    // The record's time; when the sender left it 0, the observed time; else the receive time.
    let hi = timeHi;
    let lo = timeLo;
    if (hi === 0 && lo === 0) {
      hi = observedHi;
      lo = observedLo;
      if (hi === 0 && lo === 0) {
        hi = receiveHi;
        lo = receiveLo;
      }
    }
    this.splitTime(hi, lo);
    const seconds = this.seconds;
    const nanos = this.nanos;
    const timestampSize = timestampMessageSize(seconds, nanos);

    let size =
      1 +
      varintSize(timestampSize) +
      timestampSize +
      1 +
      varintSize(lineLength) +
      lineLength +
      severityMetadata.length +
      resourceMetadata.length;
    let estimate =
      ENTRY_OVERHEAD +
      (lineKind === VALUE_BYTES ? lineLength : lineText.length) +
      resourceEstimate +
      (metadata ? this.severityEstimate : 0);
    for (let i = 0; i < this.pairs; i++) {
      const name = this.pairName[i]!;
      const kind = this.pairKind[i]!;
      const valueLength =
        kind === VALUE_BYTES
          ? this.pairEnd[i]! - this.pairStart[i]!
          : kind === VALUE_HEX
            ? 2 * (this.pairEnd[i]! - this.pairStart[i]!)
            : utf8Length(this.pairText[i]!);
      const pairSize = name.length + 1 + varintSize(valueLength) + valueLength;
      this.pairLength[i] = valueLength;
      this.pairSize[i] = pairSize;
      size += 1 + varintSize(pairSize) + pairSize;
      // The name's field is longer than its text: still an upper bound of the model path's estimate.
      estimate += METADATA_PAIR_OVERHEAD + name.length + (kind === VALUE_TEXT ? this.pairText[i]!.length : valueLength);
    }
    this.estimate += estimate;

    // The EntryAdapter, as encodePushRequestProto writes it.
    const out = this.reserve(1 + varintSize(size) + size);
    const entryStart = this.pos;
    let pos = entryStart;
    out[pos++] = TAG_2_LEN;
    pos = writeVarint(out, pos, size);
    pos = writeTimestamp(out, pos, seconds, nanos);
    if (lineKind === VALUE_BYTES) {
      out[pos++] = TAG_2_LEN;
      pos = writeVarint(out, pos, lineLength);
      pos = copyBytes(lineSource, lineStart, lineEnd, out, pos);
    } else pos = writeString(out, pos, TAG_2_LEN, lineText, lineLength);
    for (let i = 0; i < this.pairs; i++) {
      if (i === severityAt) pos = copyBytes(severityMetadata, 0, severityMetadata.length, out, pos);
      out[pos++] = TAG_3_LEN;
      pos = writeVarint(out, pos, this.pairSize[i]!);
      const name = this.pairName[i]!;
      pos = copyBytes(name, 0, name.length, out, pos);
      const kind = this.pairKind[i]!;
      const length = this.pairLength[i]!;
      if (kind === VALUE_TEXT) {
        pos = writeString(out, pos, TAG_2_LEN, this.pairText[i]!, length);
        continue;
      }
      out[pos++] = TAG_2_LEN;
      pos = writeVarint(out, pos, length);
      pos =
        kind === VALUE_BYTES
          ? copyBytes(this.buf, this.pairStart[i]!, this.pairEnd[i]!, out, pos)
          : writeHex(this.buf, this.pairStart[i]!, this.pairEnd[i]!, out, pos);
    }
    if (severityAt === this.pairs) pos = copyBytes(severityMetadata, 0, severityMetadata.length, out, pos);
    pos = copyBytes(resourceMetadata, 0, resourceMetadata.length, out, pos);
    this.pos = pos;
    this.entryStart.push(entryStart);
    this.entryEnd.push(pos);
    this.entryHi.push(hi);
    this.entryLo.push(lo);
    this.entryStream.push(stream);
    return true;
  }

  /** A record attribute: false for a `loki.*` hint (the model path's), else its metadata pair when wanted. */
  private attribute(index: number, start: number, end: number, metadata: boolean): boolean {
    const r = this.r;
    const outer = r.end;
    r.pos = start;
    r.end = end;
    let keyAt = -1;
    let keyStart = 0;
    let keyEnd = 0;
    let valueStart = -1;
    let valueEnd = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === 0x0a) {
        keyAt = r.pos;
        keyEnd = r.lengthEnd();
        keyStart = r.pos;
        r.pos = keyEnd;
      } else if (tag === 0x12) {
        valueEnd = r.lengthEnd();
        valueStart = r.pos;
        r.pos = valueEnd;
      } else r.skip(tag, NO_FIELD_NAMES);
    }
    let name: Buffer;
    if (index < this.keys && sameBytes(this.buf, keyStart, keyEnd, this.keyStart[index]!, this.keyEnd[index]!)) {
      name = this.keyName[index]!;
    } else {
      let key = '';
      if (keyAt >= 0) {
        r.pos = keyAt;
        key = r.string();
      }
      if (key.startsWith('loki.')) return false;
      name = nameField(normalizeLabelName(key));
      this.keyStart[index] = keyStart;
      this.keyEnd[index] = keyEnd;
      this.keyName[index] = name;
      if (index === this.keys) this.keys++;
    }
    r.end = outer;
    if (!metadata) return true;
    if (valueStart >= 0) this.value(valueStart, valueEnd);
    else this.setText('');
    this.addPair(name, this.valueKind, this.valueStart, this.valueEnd, this.valueText);
    return true;
  }

  /** The severity text at `pos`, decoded only when it differs from the last one. */
  private severity(): string {
    const r = this.r;
    const at = r.pos;
    const end = r.lengthEnd();
    const start = r.pos;
    r.pos = end;
    if (!sameBytes(this.buf, start, end, this.severityStart, this.severityEnd)) {
      r.pos = at;
      this.severityText = r.string();
      this.severityStart = start;
      this.severityEnd = end;
    }
    return this.severityText;
  }

  /** An AnyValue as anyValueToString renders it: a valid UTF-8 string as its bytes, anything else decoded. */
  private value(start: number, end: number): void {
    const r = this.r;
    const outer = r.end;
    r.pos = start;
    r.end = end;
    // A oneof: the last field on the wire wins.
    let last = 0;
    let stringStart = 0;
    let stringEnd = 0;
    while (r.pos < end) {
      last = r.tag();
      if (last === 0x0a) {
        stringEnd = r.lengthEnd();
        stringStart = r.pos;
        r.pos = stringEnd;
      } else r.skip(last, NO_FIELD_NAMES);
    }
    if (last === 0x0a && isValidUtf8(this.buf, stringStart, stringEnd)) {
      this.valueKind = VALUE_BYTES;
      this.valueStart = stringStart;
      this.valueEnd = stringEnd;
    } else {
      r.pos = start;
      this.setText(anyValueToString(readAnyValueProto(r, end)));
    }
    r.end = outer;
  }

  private setText(text: string): void {
    this.valueKind = VALUE_TEXT;
    this.valueStart = this.valueEnd = 0;
    this.valueText = text;
  }

  /** severity_text, severity_number and detected_level, as addStandardMetadata adds them, encoded once per severity. */
  private severityPairs(severityNumber: number, severityText: string): void {
    if (severityNumber === this.pairsSeverityNumber && severityText === this.pairsSeverityText && this.severityMetadata !== NO_METADATA) {
      return;
    }
    const pairs: LabelPair[] = [];
    if (severityText !== '') pairs.push({ name: 'severity_text', value: severityText });
    if (severityNumber !== 0) pairs.push({ name: 'severity_number', value: String(severityNumber) });
    const level = detectedLevel(severityNumber, severityText);
    if (level !== '') pairs.push({ name: 'detected_level', value: level });
    this.pairsSeverityNumber = severityNumber;
    this.pairsSeverityText = severityText;
    this.severityMetadata = encodeMetadata(pairs);
    this.severityEstimate = metadataEstimate(pairs);
  }

  private addPair(name: Buffer, kind: number, start: number, end: number, text: string): void {
    const i = this.pairs++;
    this.pairName[i] = name;
    this.pairKind[i] = kind;
    this.pairStart[i] = start;
    this.pairEnd[i] = end;
    this.pairText[i] = text;
  }

  /**
   * Seconds and nanoseconds of the unsigned 64-bit `hi:lo` nanoseconds, as the model path's
   * bigint division gives them, with every step exact in a double. The split of `hi:0` is
   * worked out by long division in 16-bit digits, once for the records that share `hi`.
   */
  private splitTime(hi: number, lo: number): void {
    if (hi !== this.baseHi) {
      let quotient = 0;
      let remainder = 0;
      for (const digit of [hi >>> 16, hi & 0xffff, 0, 0]) {
        const current = remainder * 65536 + digit;
        remainder = current % NS_PER_SECOND;
        quotient = quotient * 65536 + (current - remainder) / NS_PER_SECOND;
      }
      this.baseHi = hi;
      this.baseSeconds = quotient;
      this.baseNanos = remainder;
    }
    const nanos = this.baseNanos + lo;
    const carry = Math.floor(nanos / NS_PER_SECOND);
    this.seconds = this.baseSeconds + carry;
    this.nanos = nanos - carry * NS_PER_SECOND;
  }

  /** The scratch, with room for `bytes` more at `pos`. */
  private reserve(bytes: number): Buffer {
    if (this.pos + bytes > this.scratch.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.pos + bytes));
      this.scratch.copy(grown, 0, 0, this.pos);
      this.scratch = grown;
    }
    return this.scratch;
  }

  /** One fragment of every stream, entries in time order; undefined when the model path would split it. */
  private fragments(maxRequestBytes: number): PushFragment[] | undefined {
    const count = this.entryStart.length;
    if (count === 0) return [];
    const lists: number[][] = this.streamLabels.map(() => []);
    for (let i = 0; i < count; i++) lists[this.entryStream[i]!]!.push(i);
    const { entryHi: hi, entryLo: lo, entryStart: starts, entryEnd: ends } = this;
    const streamSizes: number[] = [];
    let total = 0;
    for (let s = 0; s < lists.length; s++) {
      const list = lists[s]!;
      for (let i = 1; i < list.length; i++) {
        const a = list[i - 1]!;
        const b = list[i]!;
        if (hi[b]! < hi[a]! || (hi[b] === hi[a] && lo[b]! < lo[a]!)) {
          // Stable, as the model path's sortByTime.
          list.sort((x, y) => hi[x]! - hi[y]! || lo[x]! - lo[y]!);
          break;
        }
      }
      const labelsLength = utf8Length(this.streamLabels[s]!);
      let size = 1 + varintSize(labelsLength) + labelsLength;
      for (const i of list) size += ends[i]! - starts[i]!;
      streamSizes.push(size);
      total += 1 + varintSize(size) + size;
    }
    if (count > 1 && (this.estimate > maxRequestBytes || total > maxRequestBytes)) return undefined;

    const body = Buffer.allocUnsafe(total);
    let pos = 0;
    for (let s = 0; s < lists.length; s++) {
      body[pos++] = TAG_1_LEN;
      pos = writeVarint(body, pos, streamSizes[s]!);
      const labels = this.streamLabels[s]!;
      pos = writeString(body, pos, TAG_1_LEN, labels, utf8Length(labels));
      // Entries that follow each other in the scratch are copied in one go.
      let runStart = -1;
      let runEnd = -1;
      for (const i of lists[s]!) {
        if (starts[i] === runEnd) {
          runEnd = ends[i]!;
          continue;
        }
        if (runStart >= 0) pos += this.scratch.copy(body, pos, runStart, runEnd);
        runStart = starts[i]!;
        runEnd = ends[i]!;
      }
      pos += this.scratch.copy(body, pos, runStart, runEnd);
    }
    // The model path's tenant: without a tenant hint, every record goes to the configured one.
    return [{ tenant: this.options.tenantId, body, entries: count }];
  }
}

const transcoder = new WireTranscoder();

/** Metadata pairs that repeat on many entries (a resource's, a severity's), encoded once. */
function encodeMetadata(pairs: readonly LabelPair[]): Buffer {
  let size = 0;
  const sizes: number[] = [];
  for (const { name, value } of pairs) {
    const nameLength = utf8Length(name);
    const valueLength = utf8Length(value);
    const pairSize = 1 + varintSize(nameLength) + nameLength + 1 + varintSize(valueLength) + valueLength;
    sizes.push(nameLength, valueLength, pairSize);
    size += 1 + varintSize(pairSize) + pairSize;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < pairs.length; i++) {
    out[pos++] = TAG_3_LEN;
    pos = writeVarint(out, pos, sizes[3 * i + 2]!);
    pos = writeString(out, pos, TAG_1_LEN, pairs[i]!.name, sizes[3 * i]!);
    pos = writeString(out, pos, TAG_2_LEN, pairs[i]!.value, sizes[3 * i + 1]!);
  }
  return out;
}

/** split.ts's estimate of metadata pairs. */
function metadataEstimate(pairs: readonly LabelPair[]): number {
  let estimate = 0;
  for (const { name, value } of pairs) estimate += METADATA_PAIR_OVERHEAD + name.length + value.length;
  return estimate;
}

/** A label name as the name field of a LabelPairAdapter. */
function nameField(name: string): Buffer {
  const length = utf8Length(name);
  const out = Buffer.allocUnsafe(1 + varintSize(length) + length);
  writeString(out, 0, TAG_1_LEN, name, length);
  return out;
}

const TRACE_ID = nameField('trace_id');
const SPAN_ID = nameField('span_id');
const NO_METADATA = Buffer.alloc(0);

function sameBytes(buf: Buffer, start: number, end: number, otherStart: number, otherEnd: number): boolean {
  if (end - start !== otherEnd - otherStart) return false;
  for (let i = start, j = otherStart; i < end; i++, j++) {
    if (buf[i] !== buf[j]) return false;
  }
  return true;
}

function copyBytes(from: Buffer, start: number, end: number, to: Buffer, pos: number): number {
  if (end - start >= SHORT_BYTES) return pos + from.copy(to, pos, start, end);
  for (let i = start; i < end; i++) to[pos++] = from[i]!;
  return pos;
}

function writeHex(from: Buffer, start: number, end: number, to: Buffer, pos: number): number {
  for (let i = start; i < end; i++) {
    const byte = from[i]!;
    to[pos++] = HEX_DIGITS[byte >> 4]!;
    to[pos++] = HEX_DIGITS[byte & 0x0f]!;
  }
  return pos;
}

/** Whether the range is valid UTF-8, so its bytes are what decoding and encoding it again would give. */
function isValidUtf8(buf: Buffer, start: number, end: number): boolean {
  if (end - start >= SHORT_BYTES) return isUtf8(buf.subarray(start, end));
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(i, end));
  }
  return true;
}
