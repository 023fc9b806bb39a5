/**
 * The config as a tree that remembers where every key and value was written, so positions
 * survive env expansion and the merge of several files, and every diagnostic can name them.
 */
import type { ErrorCode } from '@sluice/pdata';
import type { ConfigDiagnostic } from './diagnostics';

export interface Position {
  file?: string;
  line: number;
  column: number;
}

export type ConfigNode = MapNode | SeqNode | ScalarNode;

export interface MapNode {
  kind: 'map';
  pos: Position;
  entries: Map<string, MapEntry>;
}

export interface MapEntry {
  keyPos: Position;
  value: ConfigNode;
}

export interface SeqNode {
  kind: 'seq';
  pos: Position;
  items: ConfigNode[];
}

export interface ScalarNode {
  kind: 'scalar';
  pos: Position;
  value: unknown;
  /** Set when the scalar held `${...}` references: the expanded text and the variables that were unset. */
  env?: { text: string; unset: string[] };
}

export type PathSegment = string | number;

/** `service.pipelines.logs.exporters[1]` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** The plain value a schema validates: maps become objects, sequences arrays. */
export function toPlain(node: ConfigNode | undefined): unknown {
  if (node === undefined) return undefined;
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  return Object.fromEntries([...node.entries].map(([key, entry]) => [key, toPlain(entry.value)]));
}

export function isNull(node: ConfigNode | undefined): boolean {
  return node === undefined || (node.kind === 'scalar' && node.value === null);
}

/** What a path resolves to: the node if it exists, and the closest written position. */
export interface Located {
  node?: ConfigNode;
  /** The value's own position for scalars; the key's position for maps, sequences and nulls. */
  pos: Position;
  /** The position of the key (or list item) at the end of the path, or of the deepest one that exists. */
  keyPos: Position;
}

/** Walks `path` from `root` (whose own key sits at `rootKeyPos`), stopping at the deepest node that exists. */
export function locate(root: ConfigNode, rootKeyPos: Position, path: readonly PathSegment[]): Located {
  let node: ConfigNode = root;
  let keyPos = rootKeyPos;
  for (const segment of path) {
    let next: ConfigNode | undefined;
    if (node.kind === 'map' && typeof segment === 'string') {
      const entry = node.entries.get(segment);
      if (entry) keyPos = entry.keyPos;
      next = entry?.value;
    } else if (node.kind === 'seq' && typeof segment === 'number') {
      next = node.items[segment];
      if (next) keyPos = next.pos;
    }
    if (next === undefined) return { pos: keyPos, keyPos };
    node = next;
  }
  const pos = node.kind === 'scalar' && node.value !== null ? node.pos : keyPos;
  return { node, pos, keyPos };
}

export function diagnosticAt(
  code: ErrorCode,
  severity: ConfigDiagnostic['severity'],
  path: readonly PathSegment[],
  pos: Position | undefined,
  message: string,
): ConfigDiagnostic {
  return { code, severity, path: formatPath(path), file: pos?.file, line: pos?.line, column: pos?.column, message };
}
