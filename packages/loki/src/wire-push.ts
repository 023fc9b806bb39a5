/**
 * Loki push fragments straight from the protobuf bytes of an ExportLogsServiceRequest: bodies
 * and attribute strings are copied as bytes into the push request instead of being decoded to
 * strings, mapped as objects and encoded again.
 *
 * It covers the common case: protobuf push, `raw` or `json` lines (wire-json-line.ts), labels
 * from resource attributes only, no `loki.*` hint on a record, no per-record labels or copied
 * metadata attributes, and a request that fits in one fragment. For anything else it answers `undefined` and the caller takes the
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
  EMPTY_VIEW,
  readAnyValueProto,
  readResourceProto,
  viewOf,
} from '@sluice/pdata';
import { normalizeLabelName } from './label-name';
import {
  PLAIN_DECIMAL,
  PLAIN_DOUBLE,
  PLAIN_FALSE,
  PLAIN_STRING,
  PLAIN_TRUE,
  plainKeyValue,
  plainValue,
  readPlainValue,
} from './in-place-fields';
import { copyAsciiWords, copyWords, decimalLength, sameWords, writeDecimal, writeHex } from './pdata-hot-path';
import type { LabelPair } from './label-string';
import type { MappingOptions } from './mapping-options';
import { TAG_1_LEN, TAG_2_LEN, TAG_3_LEN, utf8Length, varintSize, writeString, writeTimestamp, writeVarint } from './proto-encoder';
import type { PushFragment } from './queued-push';
import { FALSE_TEXT, TRUE_TEXT, WireJsonLine, recordFields, wireScopePart, type RecordFields } from './wire-json-line';
import { ENTRY_OVERHEAD, METADATA_PAIR_OVERHEAD, STREAM_OVERHEAD } from './split';
import { planResource, type ResourcePlan } from './streams';
import { writeBytes } from './write-bytes';

/**
 * The push fragments of `bytes` (an ExportLogsServiceRequest the receiver accepted) for protobuf
 * encoding, or undefined when this request needs the model path. `stringsValid`: the receiver's
 * scan found every string in `bytes` valid UTF-8 (`forwardableWireBytesOf`), so they are copied
 * unchecked.
 */
export function wirePushFragments(
  bytes: Uint8Array,
  options: MappingOptions,
  receiveTimeNs: bigint,
  maxRequestBytes: number,
  allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
  stringsValid = false,
): PushFragment[] | undefined {
  if (!wireTranscoderCovers(options)) return undefined;
  try {
    return transcoder.run(bytes, options, receiveTimeNs, maxRequestBytes, allocate, stringsValid);
  } catch (err) {
    // Bytes the decoder would refuse: the model path reports them properly. Anything else is a bug.
    if (err instanceof SluiceError) return undefined;
    throw err;
  } finally {
    transcoder.release();
  }
}

/**
 * Whether requests mapped with these options can be transcoded at all (some still go to the model
 * path: hints, keys JavaScript would reorder, a request over the size limit).
 */
export function wireTranscoderCovers(options: MappingOptions): boolean {
  return options.format !== 'logfmt' && options.attributeLabels.size === 0 && !options.levelLabel && options.metadataAttributes.size === 0;
}

// How a metadata value (or the line) is written.
const VALUE_BYTES = 0; // a valid UTF-8 range of the request
const VALUE_TEXT = 1; // a string: what the decoder and anyValueToString make of any other value
const VALUE_DECIMAL = 2; // a number String() writes in plain digits: ints below 2^53, short doubles

const NS_PER_SECOND = 1e9;

/**
 * Below this, a loop (of words for a copy, of bytes for a UTF-8 check) beats a native call; most
 * keys and attribute values are this short, bodies are longer.
 */
const SHORT_BYTES = 24;

/** Room for a timestamp field: tag, length, and both varints at their longest. */
const MAX_TIMESTAMP_FIELD = 2 + 11 + 6;
const MAX_VARINT32 = 5;

/** The scratch the entries are written to is kept between calls up to this size. */
const SCRATCH_KEEP = 1 << 20;
/** The same for the entry arrays, in entries. */
const ENTRIES_KEEP = 1 << 14;
/** The copies of attribute keys: their first size, and the size they are kept between calls up to. */
const KEY_BOOK_BYTES = 1024;
const KEY_BOOK_KEEP = 1 << 16;
/** The largest resource whose plan is kept between calls: a sender's resource is far smaller, and its plan holds its text several times. */
const RESOURCE_MEMO_KEEP = 1 << 16;
/** The same for the last severity's metadata pairs, in bytes: a sender's severity texts are a word. */
const SEVERITY_KEEP = 1 << 10;

/** The reader between calls: nothing to read, and no request pinned. */
const NO_REQUEST = new ProtoReader(Buffer.alloc(0));

class WireTranscoder {
  private r = NO_REQUEST;
  private buf = this.r.buf;
  /** The request's bytes as a DataView, for word-at-a-time compares and copies. */
  private input = EMPTY_VIEW;
  private options!: MappingOptions;
  /** Every string of the request is known to be valid UTF-8: values need no check. */
  private stringsValid = false;
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);
  private output = viewOf(this.scratch);
  private pos = 0;

  // Entries in record order: where each is encoded in `scratch`, its time and its stream. The
  // arrays keep their length between requests, up to ENTRIES_KEEP: regrowing them cost every request.
  private entries = 0;
  private readonly entryStart: number[] = [];
  private readonly entryEnd: number[] = [];
  private readonly entryHi: number[] = [];
  private readonly entryLo: number[] = [];
  private readonly entryStream: number[] = [];
  private readonly streams = new Map<string, number>();
  /** Each stream's label string as UTF-8 (its plan's, encoded with it). */
  private readonly streamLabels: Buffer[] = [];
  /**
   * The last resource planned under each exporter's options (one object for the exporter's life),
   * so that exporters sharing a pipeline do not undo each other's.
   */
  private readonly resourceMemos = new WeakMap<MappingOptions, ResourceMemo>();
  /** split.ts's size estimate, from byte lengths: never below the model path's, which counts characters. */
  private estimate = 0;

  // The attributes of the record being read, and its fields for the json line.
  private readonly attrStart: number[] = [];
  private readonly attrEnd: number[] = [];
  private readonly fields: RecordFields = recordFields(this.attrStart, this.attrEnd);
  /** How many bytes the last entry's length prefix took: the guess for the next one. */
  private entryPrefix = 2;
  /** The same for the last json line's. */
  private linePrefix = 2;

  /**
   * The key last seen at each attribute index, as a range of `keyBook`, and its label name: the
   * records of a request, and a sender's requests, tend to repeat their keys in the same order,
   * and comparing bytes is cheaper than decoding and normalising the key again.
   */
  private readonly keyStart: number[] = [];
  private readonly keyEnd: number[] = [];
  private readonly keyName: Buffer[] = [];
  /** Copies of the keys, kept between requests; started afresh after a call that took it past KEY_BOOK_KEEP. */
  private keyBook: Buffer = Buffer.allocUnsafe(KEY_BOOK_BYTES);
  private keyBookView = viewOf(this.keyBook);
  private keyBookUsed = 0;
  /**
   * Where this request's output first has each index's name field (-1: not yet): the next pairs
   * copy it from there, four bytes at a time.
   */
  private readonly nameAt: number[] = [];
  private keys = 0;
  // The same for the severity text (its place in this request), and the metadata pairs of the
  // last severity, kept between requests: at first those of no severity, none.
  private severityStart = 0;
  private severityEnd = 0;
  private severityText = '';
  private pairsSeverityNumber = 0;
  private pairsSeverityText = '';
  private severityMetadata: Buffer = Buffer.alloc(0);
  private severityEstimate = 0;

  // The value to write next: its kind, where it is (bytes), what it is (decimal digits and scale, text), its UTF-8 length.
  private valueKind = VALUE_BYTES;
  private valueStart = 0;
  private valueEnd = 0;
  private valueNumber = 0;
  private valueScale = 0;
  private valueText = '';
  private valueLength = 0;

  private readonly jsonLine = new WireJsonLine();
  /** What the in-place value readers found. */
  private readonly plain = plainValue();

  // The last time split by `splitTime`, and its split of `hi:0`.
  private seconds = 0;
  private nanos = 0;
  private baseHi = -1;
  private baseSeconds = 0;
  private baseNanos = 0;

  run(
    bytes: Uint8Array,
    options: MappingOptions,
    receiveTimeNs: bigint,
    maxRequestBytes: number,
    allocate: (size: number) => Buffer,
    stringsValid: boolean,
  ): PushFragment[] | undefined {
    // The request is read from a copy at the start of the scratch, so that bodies are copied
    // within one buffer (copyWithin), without a view of each range to make: four times as fast
    // for a body of 150 bytes, and far more than the request's copy costs.
    this.pos = 0;
    const copy = this.reserve(bytes.length).subarray(0, bytes.length);
    copy.set(bytes);
    this.pos = bytes.length;
    const r = (this.r = new ProtoReader(copy));
    this.buf = r.buf;
    this.input = viewOf(r.buf);
    this.options = options;
    this.stringsValid = stringsValid;
    this.estimate = 0;
    this.entries = 0;
    // Names are copied from where this request's output has them.
    this.nameAt.fill(-1, 0, this.keys);
    const receiveHi = Number(receiveTimeNs >> 32n);
    const receiveLo = Number(receiveTimeNs & 0xffff_ffffn);
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag !== 0x0a) {
        r.skip(tag);
        continue;
      }
      const end = r.lengthEnd();
      if (!this.resourceLogs(end, receiveHi, receiveLo)) return undefined;
      r.pos = end;
    }
    return this.fragments(maxRequestBytes, allocate);
  }

  /** Drops what would pin the caller's request, or a large scratch, key book or severity, in memory. */
  release(): void {
    this.r = NO_REQUEST;
    this.buf = this.r.buf;
    this.input = EMPTY_VIEW;
    // A json line the reader threw in kept the buffer it was written to, perhaps grown.
    this.jsonLine.release();
    // The streams are this request's (their label strings and bytes may be large).
    this.streams.clear();
    this.streamLabels.length = 0;
    if (this.scratch.length > SCRATCH_KEEP) this.useScratch(Buffer.allocUnsafe(64 * 1024));
    if (this.entryStart.length > ENTRIES_KEEP) {
      this.entryStart.length = this.entryEnd.length = this.entryHi.length = this.entryLo.length = this.entryStream.length = 0;
    }
    if (this.keyBookUsed > KEY_BOOK_KEEP) {
      // Keys that keep changing: their copies start afresh rather than grow.
      this.keys = this.keyBookUsed = 0;
      this.keyName.length = 0;
      this.useKeyBook(Buffer.allocUnsafe(KEY_BOOK_BYTES));
    }
    // The severity's text is read again next time (its place was this request's); its pairs are
    // kept, but a long text's go back to those of no severity.
    this.severityStart = this.severityEnd = 0;
    this.severityText = '';
    if (this.severityMetadata.length > SEVERITY_KEEP) this.severityPairs(0, '');
  }

  private resourceLogs(end: number, receiveHi: number, receiveLo: number): boolean {
    const r = this.r;
    const outer = r.end;
    r.end = end;
    const start = r.pos;
    // The resource may follow its scopes on the wire, and is needed first.
    let resources = 0;
    let resourceStart = end;
    let resourceEnd = end;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === 0x0a) {
        resourceEnd = r.lengthEnd();
        resourceStart = r.pos;
        r.pos = resourceEnd;
        resources++;
      } else r.skip(tag);
    }
    // A sender's requests mostly repeat one resource: its plan is made again only when its bytes
    // differ. A resource sent in parts (the decoder merges them) is planned each time.
    let memo = this.resourceMemos.get(this.options);
    if (resources > 1 || memo === undefined || this.buf.compare(memo.bytes, 0, memo.bytes.length, resourceStart, resourceEnd) !== 0) {
      const resource = emptyResource();
      r.pos = start;
      while (r.pos < end) {
        const tag = r.tag();
        if (tag === 0x0a) readResourceProto(r, r.lengthEnd(), resource);
        else r.skip(tag);
      }
      const plan = planResource(resource, this.options);
      const keep = resources <= 1 && resourceEnd - resourceStart <= RESOURCE_MEMO_KEEP;
      memo = {
        bytes: keep ? Buffer.from(this.buf.subarray(resourceStart, resourceEnd)) : NO_BYTES,
        plan,
        metadata: encodeMetadata(plan.metadata),
        estimate: metadataEstimate(plan.metadata),
        labels: Buffer.from(plan.labelString, 'utf8'),
      };
      if (keep) this.resourceMemos.set(this.options, memo);
      else this.resourceMemos.delete(this.options);
    }
    const { plan, metadata: resourceMetadata, estimate: resourceEstimate } = memo;
    // Hints that steer each record (tenant, attribute labels) and logfmt lines are the model path's.
    if (plan.format === 'logfmt' || plan.tenantHint !== undefined || plan.attributeLabelHints.length > 0) return false;
    let stream = -1;
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag !== 0x12) {
        r.skip(tag);
        continue;
      }
      const scopeEnd = r.lengthEnd();
      // The end of a json line: its resource's part and its scope's.
      const jsonTail = plan.format === 'json' ? this.jsonLine.tail(plan.linePart, wireScopePart(r, scopeEnd)) : undefined;
      r.end = scopeEnd;
      while (r.pos < scopeEnd) {
        const scopeTag = r.tag();
        if (scopeTag !== 0x12) {
          r.skip(scopeTag);
          continue;
        }
        const recordEnd = r.lengthEnd();
        if (stream < 0) stream = this.streamOf(memo);
        if (!this.record(recordEnd, stream, resourceMetadata, resourceEstimate, receiveHi, receiveLo, jsonTail)) return false;
        r.pos = recordEnd;
      }
      r.end = end;
    }
    r.end = outer;
    return true;
  }

  /** Streams in first-seen order, as the model path's Map keeps them. */
  private streamOf({ plan, labels }: ResourceMemo): number {
    let index = this.streams.get(plan.labelString);
    if (index === undefined) {
      index = this.streamLabels.push(labels) - 1;
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
    let severityStart = 0;
    let severityEnd = 0;
    let bodyStart = -1;
    let bodyEnd = 0;
    let traceStart = 0;
    let traceEnd = 0;
    let spanStart = 0;
    let spanEnd = 0;
    let attributes = 0;
    const buf = this.buf;
    let p = start;
    while (p < end) {
      const tag = buf[p]!;
      // The usual fields are read in place: a one-byte tag, and a length-delimited one with a
      // one- or two-byte length inside the record. The reader takes anything else, and checks it.
      if ((tag & 7) === 2 && tag < 0x80) {
        let fieldStart = p + 2;
        let length = buf[p + 1]!;
        if (length >= 0x80) {
          length = (length & 0x7f) | (buf[p + 2]! << 7);
          fieldStart = p + 3;
        }
        const fieldEnd = fieldStart + length;
        if (fieldEnd <= end && length < 0x4000) {
          if (tag === 0x32) {
            this.attrStart[attributes] = fieldStart;
            this.attrEnd[attributes++] = fieldEnd;
            p = fieldEnd;
            continue;
          }
          if (tag === 0x2a) {
            bodyStart = fieldStart;
            bodyEnd = p = fieldEnd;
            continue;
          }
          if (tag === 0x4a) {
            traceStart = fieldStart;
            traceEnd = p = fieldEnd;
            continue;
          }
          if (tag === 0x52) {
            spanStart = fieldStart;
            spanEnd = p = fieldEnd;
            continue;
          }
        }
      } else if ((tag === 0x09 || tag === 0x59) && p + 9 <= end) {
        const lo = buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (buf[p + 4]! << 24);
        const hi = buf[p + 5]! | (buf[p + 6]! << 8) | (buf[p + 7]! << 16) | (buf[p + 8]! << 24);
        if (tag === 0x09) {
          timeLo = lo >>> 0;
          timeHi = hi >>> 0;
        } else {
          observedLo = lo >>> 0;
          observedHi = hi >>> 0;
        }
        p += 9;
        continue;
      }
      r.pos = p;
      const readTag = r.tag();
      switch (readTag) {
        case 0x09:
          timeLo = r.fixed32();
          timeHi = r.fixed32();
          break;
        case 0x10:
          severityNumber = r.int32();
          break;
        case 0x1a: {
          const at = r.pos;
          severityEnd = r.lengthEnd();
          severityStart = r.pos;
          severityText = this.severity(at, severityStart, severityEnd);
          r.pos = severityEnd;
          break;
        }
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
          r.skip(readTag);
      }
      p = r.pos;
    }
    r.end = outer;
    // Ids of another size are refused by the decoder.
    if ((traceEnd - traceStart !== 16 && traceEnd !== traceStart) || (spanEnd - spanStart !== 8 && spanEnd !== spanStart)) return false;

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

    // The EntryAdapter, as encodePushRequestProto writes it, but in one pass: its fields are
    // written after a length prefix of the size the last entry's took, and moved in the rare
    // case this one's differs.
    const entryStart = this.pos;
    const guess = this.entryPrefix;
    const fieldsStart = entryStart + 1 + guess;
    this.reserve(1 + guess + MAX_TIMESTAMP_FIELD);
    this.pos = writeTimestamp(this.scratch, fieldsStart, this.seconds, this.nanos);
    let estimate = ENTRY_OVERHEAD;
    if (jsonTail !== undefined) {
      // The json line is written from the fields found above: the record is not read again.
      const fields = this.fields;
      fields.bodyStart = bodyStart;
      fields.bodyEnd = bodyEnd;
      fields.traceStart = traceStart;
      fields.traceEnd = traceEnd;
      fields.spanStart = spanStart;
      fields.spanEnd = spanEnd;
      fields.severityStart = severityStart;
      fields.severityEnd = severityEnd;
      fields.attributes = attributes;
      const added = this.writeJsonLine(jsonTail);
      if (added < 0) return false;
      estimate += added;
    } else {
      if (bodyStart >= 0) this.value(bodyStart, bodyEnd);
      else this.setText('');
      estimate += this.writeValue();
    }
    // The metadata pairs, in addStandardMetadata + addRawMetadata (raw lines only) order.
    const metadata = this.options.structuredMetadata;
    if (metadata) {
      if (traceEnd !== traceStart) estimate += this.writeIdPair(TRACE_ID_PAIR, traceStart, traceEnd);
      if (spanEnd !== spanStart) estimate += this.writeIdPair(SPAN_ID_PAIR, spanStart, spanEnd);
      this.severityPairs(severityNumber, severityText);
      this.writeMetadata(this.severityMetadata);
      estimate += this.severityEstimate;
    }
    // A json line has the attributes; a raw one, their metadata pairs.
    if (jsonTail === undefined) {
      for (let i = 0; i < attributes; i++) {
        const start = this.attrStart[i]!;
        const end = this.attrEnd[i]!;
        let added = metadata ? this.plainPair(i, start, end) : -1;
        if (added < 0) added = this.attribute(i, start, end, metadata);
        if (added < 0) return false;
        estimate += added;
      }
    }
    this.writeMetadata(resourceMetadata);
    this.estimate += estimate + resourceEstimate;

    this.entryPrefix = this.closeField(entryStart, guess);
    const entry = this.entries++;
    this.entryStart[entry] = entryStart;
    this.entryEnd[entry] = this.pos;
    this.entryHi[entry] = hi;
    this.entryLo[entry] = lo;
    this.entryStream[entry] = stream;
    return true;
  }

  /**
   * A record attribute: -1 for a `loki.*` hint (the model path's), else its metadata pair when
   * wanted, written; answers the pair's share of the size estimate.
   */
  private attribute(index: number, start: number, end: number, metadata: boolean): number {
    const buf = this.buf;
    // No key is the empty key.
    let keyStart = 0;
    let keyEnd = 0;
    let valueEnd = end;
    // The usual layout, a short key and then the value, is read in place.
    let valueStart = plainKeyValue(buf, start, end);
    if (valueStart >= 0) {
      keyStart = start + 2;
      keyEnd = keyStart + buf[start + 1]!;
    } else {
      // Any other: the last key and value on the wire win.
      const r = this.r;
      const outer = r.end;
      r.pos = start;
      r.end = end;
      while (r.pos < end) {
        const tag = r.tag();
        if (tag === 0x0a) {
          keyEnd = r.lengthEnd();
          keyStart = r.pos;
          r.pos = keyEnd;
        } else if (tag === 0x12) {
          valueEnd = r.lengthEnd();
          valueStart = r.pos;
          r.pos = valueEnd;
        } else r.skip(tag);
      }
      r.end = outer;
    }
    let name: Buffer;
    if (index < this.keys && sameWords(this.input, keyStart, keyEnd, this.keyBookView, this.keyStart[index]!, this.keyEnd[index]!)) {
      name = this.keyName[index]!;
    } else {
      const key = buf.toString('utf8', keyStart, keyEnd);
      if (key.startsWith('loki.')) return -1;
      name = nameField(normalizeLabelName(key));
      this.keyStart[index] = this.bookKey(keyStart, keyEnd);
      this.keyEnd[index] = this.keyBookUsed;
      this.keyName[index] = name;
      this.nameAt[index] = -1;
      if (index === this.keys) this.keys++;
    }
    if (!metadata) return 0;
    if (valueStart >= 0) this.value(valueStart, valueEnd);
    else this.setText('');
    return this.writePair(name);
  }

  /**
   * The usual attribute, written as its metadata pair in one pass: a key already seen at this
   * index, then a single-byte-length ASCII string, a non-negative int, a bool or a short double,
   * all in one-byte lengths. -1 for anything else, with nothing written: `attribute` takes it.
   * Answers the pair's share of the size estimate.
   */
  private plainPair(index: number, start: number, end: number): number {
    const buf = this.buf;
    if (index >= this.keys) return -1;
    const keyEnd = start + 2 + buf[start + 1]!;
    // One-byte lengths: a key, then the AnyValue filling the rest.
    if (plainKeyValue(buf, start, end) !== keyEnd + 2) return -1;
    if (!sameWords(this.input, start + 2, keyEnd, this.keyBookView, this.keyStart[index]!, this.keyEnd[index]!)) return -1;
    const plain = this.plain;
    if (!readPlainValue(buf, keyEnd + 2, end, plain)) return -1;
    const name = this.keyName[index]!;
    // Room for the pair at its longest: a name, a value of at most 127 bytes, one-byte lengths.
    const out = this.reserve(4 + name.length + 127);
    const output = this.output;
    const pairAt = this.pos;
    const nameAt = this.nameAt[index]!;
    let pos = pairAt + 2;
    if (nameAt >= 0) pos = copyWords(output, nameAt, nameAt + name.length, output, pos);
    else for (let i = 0; i < name.length; i++) out[pos++] = name[i]!;
    out[pos] = TAG_2_LEN;
    const valueStart = pos + 2;
    pos = valueStart;
    switch (plain.kind) {
      case PLAIN_STRING:
        // A one-byte length; ASCII is its own UTF-8, copied as it is checked.
        if (plain.stringStart !== keyEnd + 4) return -1;
        pos = copyAsciiWords(this.input, plain.stringStart, end, output, pos);
        if (pos < 0) return -1;
        break;
      case PLAIN_DECIMAL:
        pos = writeDecimal(out, pos, plain.digits, plain.scale, decimalLength(plain.digits, plain.scale));
        break;
      case PLAIN_TRUE:
      case PLAIN_FALSE: {
        const text = plain.kind === PLAIN_TRUE ? TRUE_TEXT : FALSE_TEXT;
        pos = copyWords(text, 0, text.byteLength, output, pos);
        break;
      }
      default:
        return -1;
    }
    const valueLength = pos - valueStart;
    const pairLength = pos - pairAt - 2;
    if (pairLength >= 0x80) return -1;
    out[pairAt] = TAG_3_LEN;
    out[pairAt + 1] = pairLength;
    out[valueStart - 1] = valueLength;
    if (nameAt < 0) this.nameAt[index] = pairAt + 2;
    this.pos = pos;
    // ASCII: as many bytes as characters.
    return METADATA_PAIR_OVERHEAD + name.length + valueLength;
  }

  /** Copies the key at [start, end) of the request into `keyBook`; answers where it starts there. */
  private bookKey(start: number, end: number): number {
    const at = this.keyBookUsed;
    const length = end - start;
    if (at + length > this.keyBook.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.keyBook.length * 2, at + length));
      this.keyBook.copy(grown, 0, 0, at);
      this.useKeyBook(grown);
    }
    this.keyBookUsed = copyWords(this.input, start, end, this.keyBookView, at);
    return at;
  }

  private useKeyBook(book: Buffer): void {
    this.keyBook = book;
    this.keyBookView = viewOf(book);
  }

  /** The severity text at [start, end) (its field's length at `at`), decoded only when it differs from the last one. */
  private severity(at: number, start: number, end: number): string {
    if (!sameWords(this.input, start, end, this.input, this.severityStart, this.severityEnd)) {
      const r = this.r;
      r.pos = at;
      this.severityText = r.string();
      this.severityStart = start;
      this.severityEnd = end;
    }
    return this.severityText;
  }

  /**
   * An AnyValue as anyValueToString renders it. The common ones, a single field holding a valid
   * UTF-8 string, a non-negative int below 2^53, a bool or a double, are read in place; anything
   * else (several fields, the last winning; negative or huge ints; arrays, kvlists, bytes,
   * invalid UTF-8) is decoded.
   */
  private value(start: number, end: number): void {
    const buf = this.buf;
    const plain = this.plain;
    if (readPlainValue(buf, start, end, plain)) {
      switch (plain.kind) {
        case PLAIN_STRING:
          if (!this.stringsValid && !isValidUtf8(buf, plain.stringStart, end)) break;
          this.setBytes(plain.stringStart, end);
          return;
        case PLAIN_DECIMAL:
          this.setDecimal(plain.digits, plain.scale);
          return;
        case PLAIN_DOUBLE:
          this.setText(String(plain.double));
          return;
        default:
          this.setText(plain.kind === PLAIN_TRUE ? 'true' : 'false');
          return;
      }
    }
    const r = this.r;
    const outer = r.end;
    r.pos = start;
    this.setText(anyValueToString(readAnyValueProto(r, end)));
    r.end = outer;
  }

  private setBytes(start: number, end: number): void {
    this.valueKind = VALUE_BYTES;
    this.valueStart = start;
    this.valueEnd = end;
    this.valueLength = end - start;
  }

  private setDecimal(digits: number, scale: number): void {
    this.valueKind = VALUE_DECIMAL;
    this.valueNumber = digits;
    this.valueScale = scale;
    this.valueLength = decimalLength(digits, scale);
  }

  private setText(text: string): void {
    this.valueKind = VALUE_TEXT;
    this.valueText = text;
    this.valueLength = utf8Length(text);
  }

  /** The value as field 2 (an entry's line, a pair's value); answers its share of split.ts's estimate. */
  private writeValue(): number {
    const length = this.valueLength;
    const kind = this.valueKind;
    const out = this.reserve(1 + MAX_VARINT32 + length);
    if (kind === VALUE_TEXT) {
      this.pos = writeString(out, this.pos, TAG_2_LEN, this.valueText, length);
      return this.valueText.length;
    }
    let pos = this.pos;
    out[pos++] = TAG_2_LEN;
    pos = writeVarint(out, pos, length);
    if (kind === VALUE_BYTES) {
      const start = this.valueStart;
      // The request's copy is at the start of `out`, the scratch (even when it has grown since).
      if (length < SHORT_BYTES) pos = copyWords(this.input, start, this.valueEnd, this.output, pos);
      else {
        out.copyWithin(pos, start, start + length);
        pos += length;
      }
    } else pos = writeDecimal(out, pos, this.valueNumber, this.valueScale, length);
    this.pos = pos;
    return length;
  }

  /**
   * The json line of the record whose fields are in `fields`, as the entry's field 2: written in
   * place after a length prefix of the size the last line's took, and moved in the rare case this
   * one's differs. Answers its share of split.ts's estimate, or -1 when the model path must write it.
   */
  private writeJsonLine(tail: Buffer): number {
    const guess = this.linePrefix;
    const fieldAt = this.pos;
    const lineStart = fieldAt + 1 + guess;
    const lineEnd = this.jsonLine.write(this.r, this.input, this.fields, tail, this.reserve(1 + guess), lineStart);
    // The line may have grown the scratch.
    if (this.jsonLine.out !== this.scratch) this.useScratch(this.jsonLine.out);
    if (lineEnd < 0) return -1;
    this.pos = lineEnd;
    this.linePrefix = this.closeField(fieldAt, guess);
    return lineEnd - lineStart;
  }

  /**
   * Ends the field 2 opened at `fieldAt` with room for a `guess`-byte length: its bytes run from
   * there to `pos`, and move in the rare case their length takes another size. Answers the size
   * it took, the guess for the next such field.
   */
  private closeField(fieldAt: number, guess: number): number {
    const contentStart = fieldAt + 1 + guess;
    const length = this.pos - contentStart;
    const prefix = varintSize(length);
    // The scratch may have grown while the field was written.
    const out = this.reserve(Math.max(0, prefix - guess));
    if (prefix !== guess) {
      out.copyWithin(fieldAt + 1 + prefix, contentStart, this.pos);
      this.pos += prefix - guess;
      // Names written in the moved bytes are no longer where they were.
      for (let i = 0; i < this.keys; i++) if (this.nameAt[i]! >= contentStart) this.nameAt[i] = -1;
    }
    out[fieldAt] = TAG_2_LEN;
    writeVarint(out, fieldAt + 1, length);
    return prefix;
  }

  /** A metadata pair of `name` (its encoded field) and the value; answers its share of split.ts's estimate. */
  private writePair(name: Buffer): number {
    const length = this.valueLength;
    const out = this.reserve(1 + MAX_VARINT32 + name.length);
    let pos = this.pos;
    out[pos++] = TAG_3_LEN;
    pos = writeVarint(out, pos, name.length + 1 + varintSize(length) + length);
    this.pos = writeBytes(name, out, pos);
    // The name's field is longer than its text: still an upper bound of the model path's estimate.
    return METADATA_PAIR_OVERHEAD + name.length + this.writeValue();
  }

  /** An id's metadata pair: its head, then the id as hex; answers its share of split.ts's estimate. */
  private writeIdPair(pair: IdPair, start: number, end: number): number {
    const out = this.reserve(pair.head.length + pair.hexLength);
    this.pos = writeHex(this.buf, start, end, this.output, writeBytes(pair.head, out, this.pos));
    return pair.estimate;
  }

  /** Pairs encoded once for many entries. */
  private writeMetadata(pairs: Buffer): void {
    const out = this.reserve(pairs.length);
    this.pos = writeBytes(pairs, out, this.pos);
  }

  /** severity_text, severity_number and detected_level, as addStandardMetadata adds them, encoded once per severity. */
  private severityPairs(severityNumber: number, severityText: string): void {
    if (severityNumber === this.pairsSeverityNumber && severityText === this.pairsSeverityText) return;
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
      this.useScratch(grown);
    }
    return this.scratch;
  }

  private useScratch(scratch: Buffer): void {
    this.scratch = scratch;
    this.output = viewOf(scratch);
  }

  /** One fragment of every stream, entries in time order; undefined when the model path would split it. */
  private fragments(maxRequestBytes: number, allocate: (size: number) => Buffer): PushFragment[] | undefined {
    const count = this.entries;
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
      const labelsLength = this.streamLabels[s]!.length;
      let size = 1 + varintSize(labelsLength) + labelsLength;
      for (const i of list) size += ends[i]! - starts[i]!;
      streamSizes.push(size);
      total += 1 + varintSize(size) + size;
    }
    if (count > 1 && (this.estimate > maxRequestBytes || total > maxRequestBytes)) return undefined;

    const body = allocate(total);
    let pos = 0;
    for (let s = 0; s < lists.length; s++) {
      body[pos++] = TAG_1_LEN;
      pos = writeVarint(body, pos, streamSizes[s]!);
      const labels = this.streamLabels[s]!;
      body[pos++] = TAG_1_LEN;
      pos = writeBytes(labels, body, writeVarint(body, pos, labels.length));
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

/** A resource planned: its bytes, and what its plan gives. */
interface ResourceMemo {
  /** A copy of the resource's bytes (none in a plan that is not kept). */
  bytes: Buffer;
  plan: ResourcePlan;
  /** The plan's metadata pairs, encoded, and their share of split.ts's estimate. */
  metadata: Buffer;
  estimate: number;
  /** The plan's label string as UTF-8: the stream's labels field. */
  labels: Buffer;
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

/** A trace or span id's metadata pair up to its hex digits (ids of other sizes never get here). */
interface IdPair {
  head: Buffer;
  hexLength: number;
  estimate: number;
}

function idPair(name: string, idBytes: number): IdPair {
  const field = nameField(name);
  const hexLength = 2 * idBytes;
  const head = Buffer.concat([Buffer.from([TAG_3_LEN, field.length + 2 + hexLength]), field, Buffer.from([TAG_2_LEN, hexLength])]);
  return { head, hexLength, estimate: METADATA_PAIR_OVERHEAD + field.length + hexLength };
}

const TRACE_ID_PAIR = idPair('trace_id', 16);
const SPAN_ID_PAIR = idPair('span_id', 8);
const NO_BYTES = Buffer.alloc(0);

/** Whether a range is valid UTF-8, so its bytes are what decoding and encoding it again would give. */
function isValidUtf8(buf: Buffer, start: number, end: number): boolean {
  if (end - start >= SHORT_BYTES) return isUtf8(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start));
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(i, end));
  }
  return true;
}
