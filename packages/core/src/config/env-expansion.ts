/**
 * `${env:VAR}`, `${env:VAR:-default}` and `${VAR}` expansion in every string value, with `$$`
 * for a literal `$`, as otelcol expands them. Runs on the merged tree, so a reference that a
 * later file overrides is never read.
 */
import { parse } from 'yaml';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, type ConfigNode, type PathSegment, type ScalarNode } from './located';

const REFERENCE = /\$\$|\$\{([^{}]*)\}/g;
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(?!-)/;
const NULL_LITERAL = /^(?:~|null|Null|NULL)$/;

/** A scalar that used a variable that is not set, so its value may be missing. */
export interface UnsetReference {
  path: PathSegment[];
  node: ScalarNode;
}

export interface ExpansionResult {
  diagnostics: ConfigDiagnostic[];
  unset: UnsetReference[];
}

export function expandEnv(root: ConfigNode, env: NodeJS.ProcessEnv): ExpansionResult {
  const result: ExpansionResult = { diagnostics: [], unset: [] };
  walk(root, [], env, result);
  return result;
}

function walk(node: ConfigNode, path: PathSegment[], env: NodeJS.ProcessEnv, result: ExpansionResult): void {
  if (node.kind === 'map') for (const [key, entry] of node.entries) walk(entry.value, [...path, key], env, result);
  else if (node.kind === 'seq') node.items.forEach((item, index) => walk(item, [...path, index], env, result));
  else if (typeof node.value === 'string' && node.value.includes('$')) expandScalar(node, path, env, result);
}

function expandScalar(node: ScalarNode, path: PathSegment[], env: NodeJS.ProcessEnv, result: ExpansionResult): void {
  const source = node.value as string;
  const unset: string[] = [];
  let references = 0;
  const text = source.replace(REFERENCE, (match, inner: string | undefined) => {
    if (inner === undefined) return '$';
    references++;
    const resolved = resolveReference(inner, env);
    if ('problem' in resolved) {
      result.diagnostics.push(diagnosticAt('SLUICE_CONFIG_INVALID_VALUE', 'error', path, node.pos, `${match}: ${resolved.problem}`));
      return '';
    }
    if (resolved.value === undefined) {
      unset.push(resolved.name);
      return '';
    }
    return resolved.value;
  });
  if (text === source) return;
  node.env = { text, unset };
  const wholeReference = references === 1 && /^\$\{[^{}]*\}$/.test(source);
  node.value = wholeReference && text !== '' ? rereadScalar(text) : text;
  if (unset.length > 0) result.unset.push({ path, node });
}

function resolveReference(inner: string, env: NodeJS.ProcessEnv): { name: string; value: string | undefined } | { problem: string } {
  let body = inner;
  const scheme = SCHEME.exec(inner);
  if (scheme) {
    if (scheme[1] !== 'env') return { problem: `the "${scheme[1]}" config provider is not supported; Sluice expands \${env:VAR} only` };
    body = inner.slice(scheme[0].length);
  }
  const variable = VARIABLE.exec(body);
  if (!variable) return { problem: 'not a valid reference; write ${env:VAR} or ${env:VAR:-default}' };
  const name = variable[1]!;
  // As otelcol: the default applies only when the variable is unset, not when it is empty.
  return { name, value: env[name] ?? variable[2] };
}

/**
 * `port: ${env:PORT}` gives a number and `exporters: ${env:EXPORTERS}` with `[jsonl, loki]` a
 * list, as otelcol re-reads a whole-value reference as YAML. Where the schema wants a string, the
 * text is put back (section validation), so `path: ${env:P}` with P=123 still works.
 */
function rereadScalar(text: string): unknown {
  if (NULL_LITERAL.test(text)) return null;
  try {
    const value: unknown = parse(text);
    if (Array.isArray(value) && value.every(isPlainScalar)) return value;
    return isPlainScalar(value) && typeof value !== 'string' ? value : text;
  } catch {
    return text;
  }
}

function isPlainScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
