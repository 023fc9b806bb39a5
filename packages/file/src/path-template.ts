/**
 * A routed `path`: literal text with placeholders in braces naming a resource or record
 * attribute, `|` between fallbacks and an optional last bare word as the default:
 *
 *   telemetry/{resource.stack}/{attributes.component|attributes.server|_unrouted}/logs.jsonl
 *
 * Compiled once at config time. Every value comes from senders, so each becomes exactly one
 * path segment: `/`, `\`, NUL and control characters turn into `_`, a value of dots only (`.`,
 * `..`) becomes `_`, and long values are cut; a file can never land outside the directory
 * before the first placeholder (the base directory).
 */
import { dirname } from 'node:path';
import { anyValueToString, getAttribute, type KeyValue } from '@sluice/pdata';

interface Source {
  from: 'resource' | 'attributes';
  key: string;
}

interface Placeholder {
  sources: Source[];
  /** The bare word after the last `|`, already cleaned; undefined drops records without a value. */
  fallback: string | undefined;
}

/** Longer values are cut (in UTF-8 bytes), so a sender cannot make file names the file system refuses (255 bytes). */
const MAX_VALUE_BYTES = 120;
/** A UTF-16 unit takes at most 3 UTF-8 bytes: shorter strings need no byte count. */
const SURELY_SHORT = Math.floor(MAX_VALUE_BYTES / 3);
// eslint-disable-next-line no-control-regex -- control characters are among what this replaces
const UNSAFE = /[/\\\u0000-\u001f\u007f]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const DOTS_ONLY = /^\.+$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

export class PathTemplate {
  /** Literal text and placeholders, alternating, starting and ending with literal text. */
  private readonly literals: string[];
  private readonly placeholders: Placeholder[];
  /** True when some placeholder reads record attributes: files are then chosen per record. */
  readonly perRecord: boolean;
  /** The directory every routed file is under: the one holding the text before the first placeholder. */
  readonly baseDir: string;

  private constructor(literals: string[], placeholders: Placeholder[]) {
    this.literals = literals;
    this.placeholders = placeholders;
    this.perRecord = placeholders.some((p) => p.sources.some((s) => s.from === 'attributes'));
    this.baseDir = dirname(`${literals[0]}x`);
  }

  /** The template of `path`, undefined when it has no placeholder; throws a message naming what is wrong. */
  static compile(path: string): PathTemplate | undefined {
    const literals: string[] = [];
    const placeholders: Placeholder[] = [];
    let last = 0;
    for (const match of path.matchAll(PLACEHOLDER)) {
      literals.push(path.slice(last, match.index));
      placeholders.push(parsePlaceholder(match[1]!));
      last = match.index + match[0].length;
    }
    if (placeholders.length === 0) return undefined;
    literals.push(path.slice(last));
    if (literals.some((text) => text.includes('{') || text.includes('}'))) {
      throw new Error(`unbalanced "{" or "}" in "${path}"`);
    }
    return new PathTemplate(literals, placeholders);
  }

  /** The file for a record (its resource's and its own attributes), or undefined when a placeholder has no value and no default. */
  resolve(resource: readonly KeyValue[], record: readonly KeyValue[]): string | undefined {
    let path = this.literals[0]!;
    for (let i = 0; i < this.placeholders.length; i++) {
      const value = valueOf(this.placeholders[i]!, resource, record);
      if (value === undefined) return undefined;
      path += value + this.literals[i + 1]!;
    }
    return path;
  }

  /** A `RegExp` over file paths whose placeholders each match (and capture) one segment; `prefix` replaces the leading text. */
  toRegExp(prefix = this.literals[0]!): RegExp {
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^${[prefix, ...this.literals.slice(1)].map(escape).join('([^/]+)')}$`);
  }

  /** The text before the first placeholder. */
  get prefix(): string {
    return this.literals[0]!;
  }
}

function parsePlaceholder(body: string): Placeholder {
  const alternatives = body.split('|').map((part) => part.trim());
  const sources: Source[] = [];
  let fallback: string | undefined;
  for (const [index, part] of alternatives.entries()) {
    const dot = part.indexOf('.');
    const from = part.slice(0, dot);
    if (dot > 0 && (from === 'resource' || from === 'attributes') && part.length > dot + 1) {
      sources.push({ from, key: part.slice(dot + 1) });
    } else if (index === alternatives.length - 1 && index > 0 && part !== '') {
      fallback = cleanValue(part);
    } else {
      throw new Error(
        `placeholder "{${body}}": "${part}" is not resource.<key> or attributes.<key>` +
          (index > 0 ? ' (a bare default may only come last)' : ''),
      );
    }
  }
  return { sources, fallback };
}

function valueOf(placeholder: Placeholder, resource: readonly KeyValue[], record: readonly KeyValue[]): string | undefined {
  const { sources } = placeholder;
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i]!;
    const value = getAttribute(source.from === 'resource' ? resource : record, source.key);
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : anyValueToString(value);
    if (text !== '') return cleanValue(text);
  }
  return placeholder.fallback;
}

/** One safe path segment from a sender's value (exported for the tests that try to escape). */
export function cleanValue(text: string): string {
  let value = text.length > SURELY_SHORT ? cutToBytes(text) : text;
  if (UNSAFE.test(value)) value = value.replace(UNSAFE_ALL, '_');
  return DOTS_ONLY.test(value) ? '_' : value;
}

/** The longest prefix of `text` within MAX_VALUE_BYTES of UTF-8, never splitting a character. */
function cutToBytes(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_VALUE_BYTES) return text;
  let end = MAX_VALUE_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back off continuation bytes to a character start
  return bytes.subarray(0, end).toString('utf8');
}
