/**
 * Validates one config section (a component's, or `service`) against its zod schema: drops the
 * otelcol keys Sluice does not implement, then maps every schema issue to a located diagnostic.
 */
import type { ZodIssue } from 'zod';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, locate, toPlain, type ConfigNode, type MapNode, type PathSegment } from './located';
import { issueDiagnostics, type SectionContext } from './zod-issues';

/** Dotted paths relative to the section; a `*` segment matches any key or list item. */
export type UnsupportedKeys = Readonly<Record<string, { effect: 'ignore' | 'error'; why: string }>>;

export interface SectionResult {
  /** The parsed config, defaults applied; undefined when the section has errors. */
  value?: unknown;
  diagnostics: ConfigDiagnostic[];
}

export function validateSection(section: SectionContext, unsupportedKeys: UnsupportedKeys = {}): SectionResult {
  const diagnostics = removeUnsupportedKeys(section, unsupportedKeys);
  for (;;) {
    const result = section.schema.safeParse(toPlain(section.node));
    if (result.success) {
      return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { value: result.data, diagnostics };
    }
    if (restoreEnvStrings(section, result.error.issues)) continue;
    const found = result.error.issues.flatMap((issue) => issueDiagnostics(issue, section));
    // An empty required value also fails the refinements after it (not a URL, ...): report only that it is missing.
    const missing = new Map(
      found
        .filter((d) => d.code === 'SLUICE_CONFIG_REQUIRED')
        .reverse()
        .map((d) => [d.path, d]),
    );
    diagnostics.push(...found.filter((d) => (missing.get(d.path) ?? d) === d));
    return { diagnostics };
  }
}

/**
 * `token: ${env:TOKEN}` with TOKEN=12345 re-reads as a number; where the schema wants a string,
 * use the text instead (otelcol keeps both forms for the same reason). True if anything changed.
 */
function restoreEnvStrings(section: SectionContext, issues: readonly ZodIssue[]): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || issue.expected !== 'string') continue;
    const { node } = locate(section.node, section.keyPos, issue.path);
    if (node?.kind === 'scalar' && node.env && typeof node.value !== 'string') {
      node.value = node.env.text;
      changed = true;
    }
  }
  return changed;
}

function removeUnsupportedKeys(section: SectionContext, unsupportedKeys: UnsupportedKeys): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  for (const [dotted, { effect, why }] of Object.entries(unsupportedKeys)) {
    for (const found of findKeys(section.node, dotted.split('.'), [])) {
      const entry = found.parent.entries.get(found.key)!;
      found.parent.entries.delete(found.key);
      const message =
        effect === 'ignore'
          ? `is an otelcol key Sluice does not implement; ignored (${why})`
          : `is an otelcol key Sluice does not implement, and ignoring it would change what happens to data: ${why}`;
      const severity = effect === 'ignore' ? 'warning' : 'error';
      diagnostics.push(diagnosticAt('SLUICE_CONFIG_UNSUPPORTED_KEY', severity, [...section.path, ...found.path], entry.keyPos, message));
    }
  }
  return diagnostics;
}

function findKeys(node: ConfigNode, segments: string[], path: PathSegment[]): { parent: MapNode; key: string; path: PathSegment[] }[] {
  const [segment, ...rest] = segments;
  if (segment === undefined) return [];
  if (rest.length === 0) {
    if (node.kind !== 'map') return [];
    const keys = segment === '*' ? [...node.entries.keys()] : node.entries.has(segment) ? [segment] : [];
    return keys.map((key) => ({ parent: node, key, path: [...path, key] }));
  }
  if (node.kind === 'map') {
    const keys = segment === '*' ? [...node.entries.keys()] : [segment];
    return keys.flatMap((key) => {
      const child = node.entries.get(key);
      return child ? findKeys(child.value, rest, [...path, key]) : [];
    });
  }
  if (node.kind === 'seq' && (segment === '*' || /^\d+$/.test(segment))) {
    const indexes = segment === '*' ? node.items.map((_, i) => i) : [Number(segment)];
    return indexes.flatMap((i) => (node.items[i] ? findKeys(node.items[i], rest, [...path, i]) : []));
  }
  return [];
}
