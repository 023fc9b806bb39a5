/**
 * Reads one YAML config text into a located tree (see located.ts), with the `yaml` package's
 * positions turned into 1-based file:line:column.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, type ConfigNode, type MapNode, type Position } from './located';

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
  const root = new TreeBuilder(doc, positionOf).build(doc.contents, start);
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
  constructor(
    private readonly doc: Document,
    private readonly positionOf: (offset: number) => Position,
  ) {}

  /** `fallback` positions nodes that have no range of their own (an empty value after `key:`). */
  build(node: Node | null | undefined, fallback: Position): ConfigNode {
    if (isAlias(node)) return this.build(node.resolve(this.doc), fallback);
    const pos = node?.range ? this.positionOf(node.range[0]) : fallback;
    if (isMap(node)) {
      const out: MapNode = { kind: 'map', pos, entries: new Map() };
      const merged: ConfigNode[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyPos = keyNode?.range ? this.positionOf(keyNode.range[0]) : pos;
        const keyValue = isScalar(keyNode) ? keyNode.value : keyNode === null ? null : String(keyNode);
        const value = this.build(pair.value as Node | null, keyPos);
        // `<<: *anchor` (YAML merge key): explicit keys win, whatever their order.
        if (typeof keyValue === 'symbol') merged.push(value);
        else out.entries.set(String(keyValue), { keyPos, value });
      }
      for (const source of merged.flatMap((value) => (value.kind === 'seq' ? value.items : [value]))) {
        if (source.kind !== 'map') continue;
        for (const [key, entry] of source.entries) if (!out.entries.has(key)) out.entries.set(key, entry);
      }
      return out;
    }
    if (isSeq(node)) {
      return { kind: 'seq', pos, items: node.items.map((item) => this.build(item as Node | null, pos)) };
    }
    return { kind: 'scalar', pos, value: isScalar(node) ? node.value : null };
  }
}
