/**
 * The metric names a PromQL expression reads. Not a full parser: it removes what cannot be a metric
 * name (strings, label matchers, ranges, grouping clauses, numbers and durations, function calls,
 * keywords) and keeps the identifiers that remain.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'atan2',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);

export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, number, identifier, call] = match;
    if (number || !identifier || call || KEYWORDS.has(identifier.toLowerCase())) continue;
    names.add(identifier);
  }
  return [...names];
}

/**
 * The metric names a Prometheus text exposition offers, as a query may name them: every sample
 * name, and for histograms and summaries declared without samples yet, their series suffixes.
 */
export function metricNamesFromExposition(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
    } else if (line !== '' && !line.startsWith('#')) {
      names.add(line.split(/[{\s]/, 1)[0] ?? '');
    }
  }
  return names;
}
