import type { LabelPair } from './label-string';
import { normalizeLabelName } from './label-name';

export type LineFormat = 'json' | 'logfmt' | 'raw';

/** Resource attributes that are labels by default: the names Loki's own OTLP ingestion uses. */
export const DEFAULT_RESOURCE_LABELS: Readonly<Record<string, string>> = {
  'service.name': 'service_name',
  'service.namespace': 'service_namespace',
  'deployment.environment': 'deployment_environment',
  'deployment.environment.name': 'deployment_environment_name',
};

/** How records become Loki streams, entries and lines: the config, resolved once. */
export interface MappingOptions {
  format: LineFormat;
  /** Sent as X-Scope-OrgID; '' sends none. */
  tenantId: string;
  /** resource attribute → label name */
  resourceLabels: ReadonlyMap<string, string>;
  /** The default resource labels the config did not name: they stay in the line as well. */
  defaultResourceLabelKeys: ReadonlySet<string>;
  /** record attribute → label name; these pass the cardinality guard */
  attributeLabels: ReadonlyMap<string, string>;
  staticLabels: readonly LabelPair[];
  /** Severity as a `level` label (off by default: it goes to `detected_level` metadata). */
  levelLabel: boolean;
  /** Loki 3 structured metadata; off for Loki 2. */
  structuredMetadata: boolean;
  /** record attribute → structured metadata name (copied: the attribute stays in the line) */
  metadataAttributes: ReadonlyMap<string, string>;
  /** Says whether a new value may become a label value; undefined admits everything. */
  admitLabelValue?: (label: string, value: string) => boolean;
}

export interface MappingSettings {
  format?: LineFormat;
  tenantId?: string;
  resourceLabels?: Readonly<Record<string, string | null>>;
  /** DEFAULT_RESOURCE_LABELS for the attributes `resourceLabels` does not name (default true). */
  defaultResourceLabels?: boolean;
  attributeLabels?: Readonly<Record<string, string | null>>;
  staticLabels?: Readonly<Record<string, string>>;
  levelLabel?: boolean;
  structuredMetadata?: boolean;
  metadataAttributes?: readonly string[];
  admitLabelValue?: (label: string, value: string) => boolean;
}

/** Fills in the defaults and normalises every label name once, so the hot path never does. */
export function resolveMappingOptions(settings: MappingSettings = {}): MappingOptions {
  const defaults = settings.defaultResourceLabels === false ? {} : DEFAULT_RESOURCE_LABELS;
  const resourceLabels = namedMap({ ...defaults, ...settings.resourceLabels });
  const configured = settings.resourceLabels ?? {};
  const defaultResourceLabelKeys = new Set(Object.keys(defaults).filter((key) => !(key in configured)));
  const staticLabels = Object.entries(settings.staticLabels ?? {}).map(([name, value]) => ({
    name: normalizeLabelName(name),
    value,
  }));
  const metadataAttributes = new Map((settings.metadataAttributes ?? []).map((key) => [key, normalizeLabelName(key)]));
  return {
    format: settings.format ?? 'json',
    tenantId: settings.tenantId ?? '',
    resourceLabels,
    defaultResourceLabelKeys,
    attributeLabels: namedMap(settings.attributeLabels ?? {}),
    staticLabels,
    levelLabel: settings.levelLabel ?? false,
    structuredMetadata: settings.structuredMetadata ?? true,
    metadataAttributes,
    admitLabelValue: settings.admitLabelValue,
  };
}

/** `{attr: label}` with an empty or null label meaning "the attribute's own name, normalised". */
function namedMap(entries: Readonly<Record<string, string | null>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, label] of Object.entries(entries)) out.set(key, normalizeLabelName(label || key));
  return out;
}
