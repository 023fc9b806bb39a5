/**
 * The `receivers`, `processors`, `exporters`, `connectors` and `extensions` sections: each id resolved to a
 * registered factory and its section validated by that factory's schema.
 */
import { parseComponentId, type ComponentKind } from '../component';
import type { Registry } from '../registry';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, isNull, type MapEntry, type MapNode, type Position } from './located';
import { validateSection } from './section-validation';
import { nearestName } from './suggest';
import type { ComponentConfig } from './types';

export const COMPONENT_SECTIONS = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  connectors: 'connector',
  extensions: 'extension',
} as const satisfies Record<string, ComponentKind>;

export type ComponentSection = keyof typeof COMPONENT_SECTIONS;

export interface ComponentsResult {
  components: Record<ComponentSection, Map<string, ComponentConfig>>;
  /** Every id written in each section (valid or not) and where, so references to it are not reported again. */
  declared: Record<ComponentSection, Map<string, Position>>;
  /** Exporters written with `enabled: false`: validated, then left out of every pipeline. */
  disabledExporters: Set<string>;
  diagnostics: ConfigDiagnostic[];
}

export function validateComponents(root: MapNode, registry: Registry): ComponentsResult {
  const result: ComponentsResult = {
    components: { receivers: new Map(), processors: new Map(), exporters: new Map(), connectors: new Map(), extensions: new Map() },
    declared: { receivers: new Map(), processors: new Map(), exporters: new Map(), connectors: new Map(), extensions: new Map() },
    disabledExporters: new Set(),
    diagnostics: [],
  };
  for (const section of Object.keys(COMPONENT_SECTIONS) as ComponentSection[]) {
    const entry = root.entries.get(section);
    if (!entry || isNull(entry.value)) continue;
    if (entry.value.kind !== 'map') {
      result.diagnostics.push(
        diagnosticAt('SLUICE_CONFIG_INVALID_VALUE', 'error', [section], entry.keyPos, 'must be a map of component ids to their settings'),
      );
      continue;
    }
    for (const [id, { keyPos, value }] of entry.value.entries) {
      result.declared[section].set(id, keyPos);
      const component = validateComponent(section, id, { keyPos, value }, registry, result.diagnostics);
      if (component?.enabled === false) result.disabledExporters.add(id);
      else if (component) result.components[section].set(id, component.config);
    }
  }
  return result;
}

function validateComponent(
  section: ComponentSection,
  id: string,
  { keyPos, value }: MapEntry,
  registry: Registry,
  diagnostics: ConfigDiagnostic[],
): { config: ComponentConfig; enabled: boolean } | undefined {
  const kind = COMPONENT_SECTIONS[section];
  const parsedId = parseComponentId(id);
  if (!parsedId) {
    diagnostics.push(
      diagnosticAt(
        'SLUICE_CONFIG_BAD_ID',
        'error',
        [section, id],
        keyPos,
        `"${id}" is not a component id; write type or type/name (e.g. otlp or otlp/internal)`,
      ),
    );
    return undefined;
  }
  const factory = registry.get(kind, parsedId.type);
  if (!factory) {
    diagnostics.push(
      diagnosticAt('SLUICE_CONFIG_UNKNOWN_TYPE', 'error', [section, id], keyPos, unknownTypeMessage(kind, parsedId.type, registry)),
    );
    return undefined;
  }
  let optional = false;
  let enabled = true;
  if (kind === 'exporter' && value.kind === 'map') {
    // Sluice's own keys, taken out before the factory's schema (otelcol's) sees the section.
    optional = takeFlag(value, [section, id], 'optional', diagnostics) ?? false;
    enabled = takeFlag(value, [section, id], 'enabled', diagnostics) ?? true;
  }
  const { value: config, diagnostics: found } = validateSection(
    { schema: factory.configSchema, node: value, keyPos, path: [section, id] },
    factory.unsupportedKeys,
  );
  diagnostics.push(...found);
  if (found.some((d) => d.severity === 'error')) return undefined;
  return { config: { id, type: parsedId.type, name: parsedId.name, kind, factory, config, optional }, enabled };
}

/** Removes a boolean key from the section; true/false, undefined when absent or null. */
function takeFlag(section: MapNode, path: string[], key: string, diagnostics: ConfigDiagnostic[]): boolean | undefined {
  const flag = section.entries.get(key);
  section.entries.delete(key);
  if (!flag || isNull(flag.value)) return undefined;
  const node = flag.value;
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
  // `${env:X}` set to yes/1/on, or unset: say which, as the schema-checked keys do.
  const unset = node.kind === 'scalar' ? (node.env?.unset ?? []) : [];
  let message = 'expected true or false';
  if (unset.length > 0) message += `; environment variable ${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set`;
  else if (node.kind === 'scalar') message += `, got ${JSON.stringify(node.env?.text ?? node.value)}`;
  const code = unset.length > 0 && node.kind === 'scalar' && node.value === '' ? 'SLUICE_CONFIG_REQUIRED' : 'SLUICE_CONFIG_INVALID_VALUE';
  diagnostics.push(diagnosticAt(code, 'error', [...path, key], flag.keyPos, message));
  return undefined;
}

function unknownTypeMessage(kind: ComponentKind, type: string, registry: Registry): string {
  const builtIn = registry.types(kind);
  const suggestion = nearestName(type, builtIn);
  const hint = suggestion ? `; did you mean ${suggestion}?` : '';
  const list = builtIn.length > 0 ? `built-in ${kind} types: ${builtIn.join(', ')}` : `no ${kind} types are built in`;
  return `unknown ${kind} type "${type}"${hint} (${list})`;
}
