/**
 * Label names as Prometheus (and Loki's own OTLP ingestion) normalise them: every character
 * outside [a-zA-Z0-9_] becomes `_`, and a leading digit gets a `key_` prefix, so
 * `service.name` → `service_name` and `1st` → `key_1st`.
 */
const INVALID = /[^a-zA-Z0-9_]/g;

export function normalizeLabelName(name: string): string {
  const replaced = name.replace(INVALID, '_');
  return replaced.length > 0 && replaced.charCodeAt(0) >= 48 && replaced.charCodeAt(0) <= 57 ? `key_${replaced}` : replaced;
}

/** Fields whose values are unique per request or span: they belong in structured metadata, never in labels. */
export const HIGH_CARDINALITY_NAMES: ReadonlySet<string> = new Set(['trace_id', 'span_id', 'traceid', 'spanid']);
