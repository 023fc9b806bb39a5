import { createHash } from 'node:crypto';
import {
  anyValueToString,
  deleteAttribute,
  getAttribute,
  setAttribute,
  type AnyValue,
  type ClientContext,
  type KeyValue,
} from '@sluice/pdata';
import { mustCompileRegex } from '../shared/regex';
import { toAnyValue } from '../shared/values';
import type { ActionConfig } from './config';

/** Applies one configured action to an attribute list, in place. */
export type AttributeAction = (attributes: KeyValue[], context: ClientContext) => void;

/** Compiles a validated action list into one function that runs the actions in order. */
export function compileActions(configs: readonly ActionConfig[]): AttributeAction {
  const actions = configs.map(compileAction);
  return (attributes, context) => {
    for (let i = 0; i < actions.length; i++) actions[i]!(attributes, context);
  };
}

function compileAction(config: ActionConfig): AttributeAction {
  const key = config.key ?? '';
  switch (config.action) {
    case 'insert':
    case 'update':
    case 'upsert': {
      const source = valueSource(config);
      const mode = config.action;
      return (attributes, context) => {
        const value = source(attributes, context);
        if (value === undefined) return;
        const exists = getAttribute(attributes, key) !== undefined;
        if ((mode === 'insert' && exists) || (mode === 'update' && !exists)) return;
        setAttribute(attributes, key, value);
      };
    }
    case 'delete': {
      if (config.pattern === undefined) return (attributes) => void deleteAttribute(attributes, key);
      const regex = mustCompileRegex(config.pattern);
      return (attributes) => {
        let kept = 0;
        for (const kv of attributes) if (!regex.test(kv.key)) attributes[kept++] = kv;
        attributes.length = kept;
      };
    }
    case 'hash': {
      const matches = keyMatcher(config);
      return (attributes) => {
        for (let i = 0; i < attributes.length; i++) {
          const kv = attributes[i]!;
          if (matches(kv.key)) attributes[i] = { key: kv.key, value: sha256Hex(kv.value) };
        }
      };
    }
    case 'extract': {
      const regex = mustCompileRegex(config.pattern!);
      const names = regex.groupNames;
      return (attributes) => {
        const value = getAttribute(attributes, key);
        if (typeof value !== 'string') return;
        const groups = regex.groups(value);
        if (!groups) return;
        for (const name of names) {
          const part = groups[name];
          if (part !== undefined) setAttribute(attributes, name, part);
        }
      };
    }
    case 'convert': {
      const convert = CONVERTERS[config.converted_type!];
      return (attributes) => {
        for (let i = 0; i < attributes.length; i++) {
          const kv = attributes[i]!;
          if (kv.key !== key) continue;
          const converted = convert(kv.value);
          if (converted !== undefined) attributes[i] = { key, value: converted };
          return;
        }
      };
    }
  }
}

type ValueSource = (attributes: readonly KeyValue[], context: ClientContext) => AnyValue | undefined;

function valueSource(config: ActionConfig): ValueSource {
  if (config.value !== undefined) {
    const value = toAnyValue(config.value);
    return () => value;
  }
  if (config.from_attribute !== undefined) {
    const from = config.from_attribute;
    return (attributes) => getAttribute(attributes, from);
  }
  return contextSource(config.from_context!);
}

/** `client.address`, `metadata.<header>`, `auth.<key>`; a bare name is a metadata key, as otelcol keeps it for compatibility. */
function contextSource(name: string): ValueSource {
  if (name === 'client.address') return (_, context) => context.address || undefined;
  if (name.startsWith('auth.')) {
    const authKey = name.slice('auth.'.length);
    return (_, context) => context.auth?.[authKey];
  }
  const header = (name.startsWith('metadata.') ? name.slice('metadata.'.length) : name).toLowerCase();
  return (_, context) => {
    const values = context.metadata?.[header];
    if (!values || values.length === 0) return undefined;
    return values.length === 1 ? values[0]! : [...values];
  };
}

function keyMatcher(config: ActionConfig): (key: string) => boolean {
  if (config.pattern === undefined) {
    const key = config.key;
    return (candidate) => candidate === key;
  }
  const regex = mustCompileRegex(config.pattern);
  return (candidate) => regex.test(candidate);
}

/**
 * otelcol's hash: SHA-256 hex of the value's bytes — UTF-8 for strings, one byte for bools,
 * 8 little-endian bytes for ints and doubles; other types become "".
 */
export function sha256Hex(value: AnyValue): string {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (typeof value === 'boolean') bytes = Buffer.from([value ? 1 : 0]);
  else if (typeof value === 'bigint') {
    bytes = Buffer.alloc(8);
    bytes.writeBigInt64LE(BigInt.asIntN(64, value));
  } else if (typeof value === 'number') {
    bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value);
  } else return '';
  return createHash('sha256').update(bytes).digest('hex');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** otelcol's convert: a value that cannot be converted is left as it is (undefined here). */
const CONVERTERS: Record<'int' | 'double' | 'string', (value: AnyValue) => AnyValue | undefined> = {
  int(value) {
    if (typeof value === 'bigint') return undefined;
    if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
    if (typeof value === 'boolean') return value ? 1n : 0n;
    if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) {
      const parsed = BigInt(value);
      return parsed >= INT64_MIN && parsed <= INT64_MAX ? parsed : undefined;
    }
    return undefined;
  },
  double(value) {
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
    return undefined;
  },
  string(value) {
    return typeof value === 'string' ? undefined : anyValueToString(value);
  },
};
