/**
 * Label names as Prometheus (and Loki's own OTLP ingestion) normalise them: every character
 * outside [a-zA-Z0-9_] becomes `_`, and a leading digit gets a `key_` prefix, so
 * `service.name` → `service_name` and `1st` → `key_1st`.
 */
const INVALID = /[^a-zA-Z0-9_]/g;

/**
 * Attribute keys come from a small set (the same keys on every record), so each is normalised
 * once: this runs for every metadata pair of every record. Bounded, so hostile keys cannot grow it.
 */
const normalized = new Map<string, string>();
const MAX_CACHED_NAMES = 10_000;

export function normalizeLabelName(name: string): string {
  let result = normalized.get(name);
  if (result !== undefined) return result;
  const replaced = name.replace(INVALID, '_');
  result = replaced.length > 0 && replaced.charCodeAt(0) >= 48 && replaced.charCodeAt(0) <= 57 ? `key_${replaced}` : replaced;
  if (normalized.size >= MAX_CACHED_NAMES) normalized.clear();
  normalized.set(name, result);
  return result;
}

/** Fields whose values are unique per request or span: they belong in structured metadata, never in labels. */
export const HIGH_CARDINALITY_NAMES: ReadonlySet<string> = new Set(['trace_id', 'span_id', 'traceid', 'spanid']);
