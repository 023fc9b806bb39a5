import type { ConfigNode } from './located';

/**
 * Merges `later` over `earlier` as otelcol merges several `--config` files: maps merge key by
 * key, anything else (lists, scalars, null) is replaced. Nodes keep the position of the file
 * that wrote them.
 */
export function mergeNodes(earlier: ConfigNode, later: ConfigNode): ConfigNode {
  if (earlier.kind !== 'map' || later.kind !== 'map') return later;
  const entries = new Map(earlier.entries);
  for (const [key, entry] of later.entries) {
    const previous = entries.get(key);
    entries.set(key, previous ? { keyPos: entry.keyPos, value: mergeNodes(previous.value, entry.value) } : entry);
  }
  return { kind: 'map', pos: later.pos, entries };
}
