/**
 * Reads one YAML config text into a located tree (see located.ts), with the `yaml` package's
 * positions turned into 1-based file:line:column.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, type ConfigNode, type MapNode, type PathSegment, type Position } from './located';

export interface YamlSource {
  /** The file's top-level map; undefined when the text is not valid YAML. */
  root?: MapNode;
  diagnostics: ConfigDiagnostic[];
}

export function readYaml(text: string, file?: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const diagnostics: ConfigDiagnostic[] = [];
  for (const error of doc.errors)
    diagnostics.push(diagnosticAt('SLUICE_CONFIG_YAML', 'error', [], positionOf(error.pos[0]), error.message));
  for (const warning of doc.warnings)
    diagnostics.push(diagnosticAt('SLUICE_CONFIG_YAML', 'warning', [], positionOf(warning.pos[0]), warning.message));
  if (doc.errors.length > 0) return { diagnostics };

  const start: Position = { file, line: 1, column: 1 };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { root: { kind: 'map', pos: start, entries: new Map() }, diagnostics };
  }
  const builder = new TreeBuilder(doc, positionOf);
  const root = builder.build(doc.contents, start, []);
  if (builder.problems.length > 0) return { diagnostics: [...diagnostics, ...builder.problems] };
  if (root.kind !== 'map') {
    diagnostics.push(
      diagnosticAt(
        'SLUICE_CONFIG_INVALID_VALUE',
        'error',
        [],
        root.pos,
        'a config file must be a map of sections (receivers, exporters, service, ...)',
      ),
    );
    return { diagnostics };
  }
  return { root, diagnostics };
}

class TreeBuilder {
  /** Recursive aliases, which are valid YAML but expand forever. */
  readonly problems: ConfigDiagnostic[] = [];
  /** The maps and sequences being built, from the root down: an alias to one of them is recursive. */
  private readonly ancestors = new Set<Node>();

  constructor(
    private readonly doc: Document,
    private readonly positionOf: (offset: number) => Position,
  ) {}

  /** `fallback` positions nodes that have no range of their own (an empty value after `key:`). */
  build(node: Node | null | undefined, fallback: Position, path: PathSegment[]): ConfigNode {
    const pos = node?.range ? this.positionOf(node.range[0]) : fallback;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target && this.ancestors.has(target)) {
        const message = `alias *${node.source} is inside the node it names, so it would expand forever`;
        this.problems.push(diagnosticAt('SLUICE_CONFIG_YAML', 'error', path, pos, message));
        return { kind: 'scalar', pos, value: null };
      }
      return this.build(target, fallback, path);
    }
    if (!isMap(node) && !isSeq(node)) return { kind: 'scalar', pos, value: isScalar(node) ? node.value : null };
    this.ancestors.add(node);
    try {
      return isMap(node) ? this.buildMap(node, pos, path) : this.buildSeq(node, pos, path);
    } finally {
      this.ancestors.delete(node);
    }
  }

  private buildMap(node: YAMLMap, pos: Position, path: PathSegment[]): MapNode {
    const out: MapNode = { kind: 'map', pos, entries: new Map() };
    const merged: ConfigNode[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyPos = keyNode?.range ? this.positionOf(keyNode.range[0]) : pos;
      const keyValue = isScalar(keyNode) ? keyNode.value : keyNode === null ? null : String(keyNode);
      // `<<: *anchor` (YAML merge key): explicit keys win, whatever their order.
      if (typeof keyValue === 'symbol') {
        merged.push(this.build(pair.value as Node | null, keyPos, path));
        continue;
      }
      const key = String(keyValue);
      out.entries.set(key, { keyPos, value: this.build(pair.value as Node | null, keyPos, [...path, key]) });
    }
    for (const source of merged.flatMap((value) => (value.kind === 'seq' ? value.items : [value]))) {
      if (source.kind !== 'map') continue;
      for (const [key, entry] of source.entries) if (!out.entries.has(key)) out.entries.set(key, entry);
    }
    return out;
  }

  private buildSeq(node: YAMLSeq, pos: Position, path: PathSegment[]): ConfigNode {
    return { kind: 'seq', pos, items: node.items.map((item, i) => this.build(item as Node | null, pos, [...path, i])) };
  }
}
