import { SeverityNumber } from '@opentelemetry/api-logs';

export interface Severity {
  number: SeverityNumber;
  text: string;
}

const PINO_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * pino's numbers are 10 apart from trace (10) to fatal (60); OTel has four steps per band, so a
 * custom level between two standard ones lands on the matching step (35 → INFO3).
 */
export function pinoSeverity(level: number, label?: string): Severity {
  const clamped = Math.min(Math.max(level, 10), 69);
  const band = Math.floor(clamped / 10) - 1; // 0 = trace … 5 = fatal
  const step = Math.floor((clamped % 10) / 2.5);
  const number = (band * 4 + 1 + step) as SeverityNumber;
  return { number, text: label ?? PINO_NAMES[level] ?? severityName(number) };
}

/** winston's npm and syslog level names, plus the console's methods. */
const BY_NAME: Record<string, SeverityNumber> = {
  silly: SeverityNumber.TRACE,
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  verbose: SeverityNumber.DEBUG2,
  http: SeverityNumber.DEBUG4,
  log: SeverityNumber.INFO,
  info: SeverityNumber.INFO,
  notice: SeverityNumber.INFO2,
  warn: SeverityNumber.WARN,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  crit: SeverityNumber.FATAL,
  fatal: SeverityNumber.FATAL,
  alert: SeverityNumber.FATAL2,
  emerg: SeverityNumber.FATAL4,
};

/** A level known by name; unknown custom names keep their text with an unspecified number. */
export function namedSeverity(name: string): Severity {
  return { number: BY_NAME[name.toLowerCase()] ?? SeverityNumber.UNSPECIFIED, text: name };
}

function severityName(number: SeverityNumber): string {
  return SeverityNumber[number] ?? 'UNSPECIFIED';
}
