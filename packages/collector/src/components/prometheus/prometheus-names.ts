/**
 * OTel → Prometheus names, as otelcol's prometheus exporter translates them (with
 * `add_metric_suffixes`): invalid characters become `_`, the unit becomes a suffix (`s` →
 * `_seconds`, `By` → `_bytes`, `1` on a gauge → `_ratio`, `{...}` annotations dropped), and
 * monotonic sums end in `_total`.
 */
const UNITS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNITS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

/** A label name Prometheus accepts: `service.name` → `service_name`, a leading digit gets `key_`. */
export function labelName(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `key_${name}` : name;
}

export interface NameOptions {
  namespace: string;
  addSuffixes: boolean;
}

export function metricName(
  name: string,
  unit: string,
  type: 'counter' | 'gauge' | 'histogram',
  { namespace, addSuffixes }: NameOptions,
): string {
  const words = sanitize(name)
    .split('_')
    .filter((w) => w !== '');
  if (addSuffixes) {
    for (const word of unitWords(unit, type)) if (words[words.length - 1] !== word && !words.includes(word)) words.push(word);
    if (type === 'counter' && words[words.length - 1] !== 'total') words.push('total');
  }
  let result = words.join('_');
  if (namespace !== '') result = `${sanitize(namespace)}_${result}`;
  return /^[0-9]/.test(result) ? `_${result}` : result;
}

function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9_:]/g, '_');
}

function unitWords(unit: string, type: 'counter' | 'gauge' | 'histogram'): string[] {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return [];
  if (bare === '1') return type === 'gauge' ? ['ratio'] : [];
  const [main = '', per] = bare.split('/', 2);
  const words = main === '' ? [] : sanitize(UNITS[main] ?? main).split('_');
  if (per !== undefined && per !== '') words.push('per', ...sanitize(PER_UNITS[per] ?? per).split('_'));
  return words.filter((w) => w !== '');
}
