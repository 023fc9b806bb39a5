import {
  SEVERITY_NUMBER_BY_NAME,
  anyValueToString,
  getAttribute,
  isKeyValueList,
  type AnyValue,
  type InstrumentationScope,
  type KeyValue,
  type LogRecord,
  type Resource,
} from '@sluice/pdata';
import { compileRegex } from '../../shared/regex';
import { OttlError, tokenize, type Token } from './lexer';

/** A compiled condition: true means the record matches (and the filter drops it). */
export type Condition = (record: LogRecord, resource: Resource, scope: InstrumentationScope) => boolean;
/** A compiled value expression: what it reads or computes from a record (null when absent). */
export type ValueGetter = (record: LogRecord, resource: Resource, scope: InstrumentationScope) => AnyValue;
type Getter = ValueGetter;

/**
 * Compiles one OTTL condition of the supported subset into a closure, or throws an OttlError
 * naming the unsupported part and its offset. Precedence as in OTTL: `not` binds to one
 * comparison (or parenthesised expression), then `and`, then `or`.
 */
export function compileCondition(source: string): Condition {
  return new Parser(tokenize(source)).parseAll();
}

/**
 * Compiles one OTTL value expression (a path, a literal, a converter call, or arithmetic over
 * them with + - * / and parentheses), as signaltometrics' `value` takes; throws an OttlError.
 */
export function compileValue(source: string): ValueGetter {
  return new Parser(tokenize(source)).parseValueAll();
}

const ARITHMETIC = new Set(['+', '-', '*', '/']);

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parseAll(): Condition {
    const condition = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'end') throw new OttlError(`unexpected "${rest.text}"`, rest.offset);
    return condition;
  }

  parseValueAll(): Getter {
    const value = this.parseSum();
    const rest = this.peek();
    if (rest.kind !== 'end') throw new OttlError(`unexpected "${rest.text}"`, rest.offset);
    return value;
  }

  private parseSum(): Getter {
    let left = this.parseProduct();
    while (this.peek().text === '+' || this.peek().text === '-') {
      const op = this.next().text;
      left = arithmetic(op, left, this.parseProduct());
    }
    return left;
  }

  private parseProduct(): Getter {
    let left = this.parseFactor();
    while (this.peek().text === '*' || this.peek().text === '/') {
      const op = this.next().text;
      left = arithmetic(op, left, this.parseFactor());
    }
    return left;
  }

  private parseFactor(): Getter {
    if (this.peek().text !== '(') return this.parseValue();
    this.pos++;
    const inner = this.parseSum();
    this.expect(')');
    return inner;
  }

  private parseOr(): Condition {
    const parts = [this.parseAnd()];
    while (this.acceptWord('or')) parts.push(this.parseAnd());
    if (parts.length === 1) return parts[0]!;
    return (r, res, s) => parts.some((p) => p(r, res, s));
  }

  private parseAnd(): Condition {
    const parts = [this.parseBoolean()];
    while (this.acceptWord('and')) parts.push(this.parseBoolean());
    if (parts.length === 1) return parts[0]!;
    return (r, res, s) => parts.every((p) => p(r, res, s));
  }

  private parseBoolean(): Condition {
    if (this.acceptWord('not')) {
      const inner = this.parseBoolean();
      return (r, res, s) => !inner(r, res, s);
    }
    const start = this.peek();
    if (start.kind === 'punct' && start.text === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    if (start.kind === 'ident' && (start.text === 'true' || start.text === 'false') && !this.isComparisonNext(1)) {
      this.pos++;
      const constant = start.text === 'true';
      return () => constant;
    }
    if (start.kind === 'ident' && this.peek(1).text === '(' && !this.isConverterComparison()) {
      return this.parseBooleanCall();
    }
    const left = this.parseValue();
    const op = this.peek();
    if (op.kind === 'punct' && ARITHMETIC.has(op.text)) {
      throw new OttlError(`arithmetic ("${op.text}") is not supported in conditions`, op.offset);
    }
    if (op.kind !== 'op' || !COMPARISONS.has(op.text)) {
      throw new OttlError(`expected a comparison (==, !=, <, <=, >, >=) after "${start.text}"`, op.offset);
    }
    this.pos++;
    const right = this.parseValue();
    return comparison(op.text, left, right);
  }

  private isComparisonNext(ahead: number): boolean {
    const t = this.peek(ahead);
    return t.kind === 'op' && COMPARISONS.has(t.text);
  }

  // `IsMatch(...) == true` compares the call's result instead of using it as the condition.
  private isConverterComparison(): boolean {
    let depth = 0;
    for (let i = this.pos + 1; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return this.tokens[i + 1]!.kind === 'op';
      else if (t.kind === 'end') return false;
    }
    return false;
  }

  private parseBooleanCall(): Condition {
    const call = this.parseCall();
    return (r, res, s) => call(r, res, s) === true;
  }

  private parseValue(): Getter {
    const t = this.peek();
    if (t.kind === 'string') {
      this.pos++;
      const value = t.value!;
      return () => value;
    }
    if (t.kind === 'int' || t.kind === 'float' || (t.kind === 'punct' && t.text === '-')) return this.parseNumber();
    if (t.kind !== 'ident') throw new OttlError(`expected a value, found "${t.text || 'end of condition'}"`, t.offset);
    if (t.text === 'nil') {
      this.pos++;
      return () => null;
    }
    if (t.text === 'true' || t.text === 'false') {
      this.pos++;
      const value = t.text === 'true';
      return () => value;
    }
    if (this.peek(1).text === '(') return this.parseCall();
    if (/^[A-Z][A-Z0-9_]*$/.test(t.text)) return this.parseEnum();
    return this.parsePath();
  }

  private parseNumber(): Getter {
    const negative = this.peek().text === '-';
    if (negative) this.pos++;
    const t = this.peek();
    if (t.kind !== 'int' && t.kind !== 'float') throw new OttlError('arithmetic ("-") is not supported', this.peek(-1).offset);
    this.pos++;
    const text = (negative ? '-' : '') + t.text;
    const value: AnyValue = t.kind === 'int' ? BigInt(text) : Number(text);
    return () => value;
  }

  private parseEnum(): Getter {
    const t = this.next();
    const number = t.text.startsWith('SEVERITY_NUMBER_') ? SEVERITY_NUMBER_BY_NAME.get(t.text) : undefined;
    if (number === undefined)
      throw new OttlError(`unknown enum "${t.text}" (supported: SEVERITY_NUMBER_TRACE .. SEVERITY_NUMBER_FATAL4)`, t.offset);
    const value = BigInt(number);
    return () => value;
  }

  private parseCall(): Getter {
    const name = this.next();
    this.expect('(');
    const converter = CONVERTERS[name.text];
    if (converter) {
      const argument = this.parseValue();
      this.expect(')');
      return (r, res, s) => converter(argument(r, res, s));
    }
    if (name.text !== 'IsMatch') {
      throw new OttlError(`function "${name.text}" is not supported (supported: IsMatch, Double, Int)`, name.offset);
    }
    const target = this.parseValue();
    this.expect(',');
    const pattern = this.next();
    if (pattern.kind !== 'string') throw new OttlError('IsMatch needs a string literal pattern', pattern.offset);
    this.expect(')');
    const compiled = compileRegex(pattern.value!);
    if (!compiled.ok) throw new OttlError(compiled.message, pattern.offset);
    const regex = compiled.regex;
    return (r, res, s) => {
      const value = target(r, res, s);
      return value !== null && regex.test(stringLike(value));
    };
  }

  private parsePath(): Getter {
    const first = this.next();
    const segments = [first.text];
    while (this.peek().text === '.') {
      this.pos++;
      const part = this.next();
      if (part.kind !== 'ident') throw new OttlError(`expected a path segment after "."`, part.offset);
      segments.push(part.text);
    }
    // OTTL's context-qualified spelling (`log.body`) means the same as the bare one.
    if (segments[0] === 'log' && segments.length > 1) segments.shift();
    const keys: string[] = [];
    while (this.peek().text === '[') {
      this.pos++;
      const key = this.next();
      if (key.kind !== 'string') throw new OttlError('only string keys are supported in [...]', key.offset);
      keys.push(key.value!);
      this.expect(']');
    }
    return pathGetter(segments.join('.'), keys, first.offset);
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw new OttlError(`expected "${text}", found "${t.text || 'end of condition'}"`, t.offset);
  }

  private acceptWord(word: string): boolean {
    const t = this.peek();
    if (t.kind === 'ident' && t.text === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }
}

const SUPPORTED_PATHS =
  'body, severity_number, severity_text, attributes["k"], resource.attributes["k"], instrumentation_scope.name, instrumentation_scope.version, trace_id.string, span_id.string, event_name';

type ListGetter = (record: LogRecord, resource: Resource) => readonly KeyValue[];

const ATTRIBUTE_LISTS: Record<string, ListGetter> = {
  attributes: (r) => r.attributes,
  'resource.attributes': (_r, res) => res.attributes,
};

const FIELDS: Record<string, Getter> = {
  body: (r) => r.body,
  severity_number: (r) => r.severityNumber,
  severity_text: (r) => r.severityText,
  'instrumentation_scope.name': (_r, _res, s) => s.name,
  'instrumentation_scope.version': (_r, _res, s) => s.version,
  'scope.name': (_r, _res, s) => s.name,
  'scope.version': (_r, _res, s) => s.version,
  'trace_id.string': (r) => r.traceId,
  'span_id.string': (r) => r.spanId,
  event_name: (r) => r.eventName,
};

/** `attributes["a"]["b"]`: the first key picks an attribute, later keys look into nested maps. */
function pathGetter(path: string, keys: string[], offset: number): Getter {
  const list = ATTRIBUTE_LISTS[path];
  if (list && keys.length > 0) {
    const [first, ...rest] = keys as [string, ...string[]];
    const attribute: Getter = (r, res) => getAttribute(list(r, res), first) ?? null;
    return rest.length === 0 ? attribute : indexInto(attribute, rest);
  }
  const field = FIELDS[path];
  if (field && (keys.length === 0 || path === 'body')) return keys.length === 0 ? field : indexInto(field, keys);
  throw new OttlError(`path "${path}${keys.length > 0 ? '[...]' : ''}" is not supported (supported: ${SUPPORTED_PATHS})`, offset);
}

function indexInto(base: Getter, keys: string[]): Getter {
  return (r, res, s) => {
    let value = base(r, res, s);
    for (const key of keys) {
      if (!isKeyValueList(value)) return null;
      value = getAttribute(value.kvlist, key) ?? null;
    }
    return value;
  };
}

/** OTTL's Double and Int converters: numbers, booleans and numeric strings convert; anything else is nil. */
const CONVERTERS: Record<string, (value: AnyValue) => AnyValue> = {
  Double: (value) => {
    const number = toNumber(value);
    return number === undefined ? null : number;
  },
  Int: (value) => {
    const number = toNumber(value);
    return number === undefined ? null : BigInt(Math.trunc(number));
  },
};

function toNumber(value: AnyValue): number | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/**
 * OTTL math: two ints give an int (division truncates), otherwise numbers give a float; a nil or
 * non-numeric operand, or an int division by zero, gives nil.
 */
function arithmetic(op: string, left: Getter, right: Getter): Getter {
  return (r, res, s) => {
    const a = left(r, res, s);
    const b = right(r, res, s);
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      if (op === '/' && b === 0n) return null;
      return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
    }
    if (!isNumeric(a) || !isNumeric(b)) return null;
    const x = Number(a);
    const y = Number(b);
    return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
  };
}

/** What IsMatch reads: OTTL's StringLikeGetter turns bytes into hex and maps/slices into JSON. */
function stringLike(value: AnyValue): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return anyValueToString(value);
}

/**
 * OTTL comparison semantics: ints and floats compare as numbers, strings lexically; values of
 * other or different types are only ever equal or not (ordering them is false, never an error);
 * nil equals only nil.
 */
function comparison(op: string, left: Getter, right: Getter): Condition {
  const test = ORDER_TESTS[op]!;
  return (r, res, s) => {
    const a = left(r, res, s);
    const b = right(r, res, s);
    const order = compare(a, b);
    if (order !== undefined) return test(order);
    if (op === '==') return equal(a, b);
    if (op === '!=') return !equal(a, b);
    return false;
  };
}

const ORDER_TESTS: Record<string, (order: number) => boolean> = {
  '==': (o) => o === 0,
  '!=': (o) => o !== 0,
  '<': (o) => o < 0,
  '<=': (o) => o <= 0,
  '>': (o) => o > 0,
  '>=': (o) => o >= 0,
};

/** -1, 0 or 1 for two numbers or two strings; undefined for anything that has no order. */
function compare(a: AnyValue, b: AnyValue): number | undefined {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (isNumeric(a) && isNumeric(b)) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : undefined;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function equal(a: AnyValue, b: AnyValue): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(b);
  }
  return Array.isArray(a) === Array.isArray(b) && anyValueToString(a) === anyValueToString(b);
}

function isNumeric(value: AnyValue): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}
