/**
 * The one severity table: OTLP severity numbers, their names, the level names that loggers and
 * log lines use (syslog, winston, pino, console, common abbreviations), and the level names Loki
 * and Grafana show. Every package maps severity through this file.
 */

/** OTLP SeverityNumber: four steps per band, TRACE = 1 … FATAL4 = 24, 0 = unspecified. */
export const SeverityNumber = {
  UNSPECIFIED: 0,
  TRACE: 1,
  TRACE2: 2,
  TRACE3: 3,
  TRACE4: 4,
  DEBUG: 5,
  DEBUG2: 6,
  DEBUG3: 7,
  DEBUG4: 8,
  INFO: 9,
  INFO2: 10,
  INFO3: 11,
  INFO4: 12,
  WARN: 13,
  WARN2: 14,
  WARN3: 15,
  WARN4: 16,
  ERROR: 17,
  ERROR2: 18,
  ERROR3: 19,
  ERROR4: 20,
  FATAL: 21,
  FATAL2: 22,
  FATAL3: 23,
  FATAL4: 24,
} as const;

export type SeverityName = keyof typeof SeverityNumber;

/** `INFO2` → 10, and the OTLP enum names OTLP/JSON senders may use (`SEVERITY_NUMBER_INFO2`). */
export const SEVERITY_NUMBER_BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(SeverityNumber).flatMap(([name, number]): Array<[string, number]> => [
    [name, number],
    [`SEVERITY_NUMBER_${name}`, number],
  ]),
);

/**
 * Level names as loggers write them, lowercased. Syslog follows the OpenTelemetry log data
 * model's mapping (notice INFO2, crit ERROR2, alert ERROR3, emerg FATAL); winston's npm levels
 * sit between the bands they fall in (verbose DEBUG2, http DEBUG4, silly TRACE).
 */
const LEVEL_NAMES: Readonly<Record<string, number>> = {
  trace: SeverityNumber.TRACE,
  t: SeverityNumber.TRACE,
  silly: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  dbg: SeverityNumber.DEBUG,
  d: SeverityNumber.DEBUG,
  verbose: SeverityNumber.DEBUG2,
  http: SeverityNumber.DEBUG4,
  info: SeverityNumber.INFO,
  information: SeverityNumber.INFO,
  informational: SeverityNumber.INFO,
  i: SeverityNumber.INFO,
  log: SeverityNumber.INFO,
  notice: SeverityNumber.INFO2,
  warn: SeverityNumber.WARN,
  warning: SeverityNumber.WARN,
  w: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  err: SeverityNumber.ERROR,
  e: SeverityNumber.ERROR,
  crit: SeverityNumber.ERROR2,
  critical: SeverityNumber.ERROR2,
  alert: SeverityNumber.ERROR3,
  fatal: SeverityNumber.FATAL,
  f: SeverityNumber.FATAL,
  panic: SeverityNumber.FATAL,
  emerg: SeverityNumber.FATAL,
  emergency: SeverityNumber.FATAL,
};

/**
 * The severity number of a level name (any case): logger names above, OTLP short names (`INFO2`)
 * and enum names. Undefined when the name is not known.
 */
export function severityNumberOfName(name: string): number | undefined {
  const lower = name.toLowerCase();
  if (Object.hasOwn(LEVEL_NAMES, lower)) return LEVEL_NAMES[lower];
  return SEVERITY_NUMBER_BY_NAME.get(name.toUpperCase());
}

const SHORT_NAMES: readonly string[] = Object.keys(SeverityNumber);

/** `10` → `INFO2`; `UNSPECIFIED` for 0 and for numbers outside 1–24. */
export function severityShortName(severityNumber: number): SeverityName {
  return (SHORT_NAMES[severityNumber] ?? 'UNSPECIFIED') as SeverityName;
}

/** pino's standard levels, 10 apart from trace (10) to fatal (60). */
const PINO_LEVEL_LABELS: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A pino level number as an OTLP severity. OTel has four steps per band, so a custom level
 * between two standard ones lands on the matching step (35 → INFO3).
 */
export function pinoSeverity(level: number, label?: string): { number: number; text: string } {
  const clamped = Math.min(Math.max(level, 10), 69);
  const band = Math.floor(clamped / 10) - 1; // 0 = trace … 5 = fatal
  const step = Math.floor((clamped % 10) / 2.5);
  const number = band * 4 + 1 + step;
  return { number, text: label ?? PINO_LEVEL_LABELS[level] ?? severityShortName(number) };
}

/** A level known by name keeps its text; an unknown custom name keeps its text, unspecified. */
export function namedSeverity(name: string): { number: number; text: string } {
  return { number: severityNumberOfName(name) ?? SeverityNumber.UNSPECIFIED, text: name };
}

/**
 * The `detected_level` Grafana colours lines by, in Loki's level names. The number decides; a
 * sender that set only a text gets that text, lowercased.
 */
export function detectedLevel(severityNumber: number, severityText: string): string {
  if (severityNumber >= SeverityNumber.FATAL) return 'critical';
  if (severityNumber >= SeverityNumber.ERROR) return 'error';
  if (severityNumber >= SeverityNumber.WARN) return 'warn';
  if (severityNumber >= SeverityNumber.INFO) return 'info';
  if (severityNumber >= SeverityNumber.DEBUG) return 'debug';
  if (severityNumber >= SeverityNumber.TRACE) return 'trace';
  return severityText === '' ? '' : severityText.toLowerCase();
}
