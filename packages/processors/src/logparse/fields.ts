import { pinoSeverity, severityNumberOfName } from '@sluice/pdata';

/** The keys logparse looks for by default, most common spelling first. */
export const DEFAULT_KEYS = {
  timestamp: ['time', 'timestamp', 'ts', '@timestamp'],
  severity: ['level', 'severity', 'lvl', 'log.level', 'severity_text'],
  message: ['msg', 'message'],
  trace_id: ['trace_id', 'traceId', 'traceid', 'trace.id', 'otelTraceID'],
  span_id: ['span_id', 'spanId', 'spanid', 'span.id', 'otelSpanID'],
};

/** A level as apps write it (a name, or pino's and bunyan's numbers) → OTLP severity number and text; undefined when not a known level. */
export function parseSeverity(level: unknown): { number: number; text: string } | undefined {
  if (typeof level === 'number' || (typeof level === 'string' && /^\d+$/.test(level))) {
    const value = Number(level);
    return value >= 10 && value < 70 ? pinoSeverity(value) : undefined;
  }
  if (typeof level !== 'string') return undefined;
  const number = severityNumberOfName(level);
  return number === undefined ? undefined : { number, text: level };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * A timestamp → nanoseconds since the epoch. RFC 3339 strings keep full nanosecond precision;
 * epoch numbers are read as seconds, milliseconds, microseconds or nanoseconds by magnitude.
 */
export function parseTimestamp(value: unknown): bigint | undefined {
  const nanos = parseTimestampNanos(value);
  // OTLP times are fixed64: a value outside it is not a time (and would wrap on the wire).
  return nanos !== undefined && nanos > 0n && nanos <= MAX_UNIX_NANO ? nanos : undefined;
}

const MAX_UNIX_NANO = 2n ** 64n - 1n;

function parseTimestampNanos(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? epochToNanos(value) : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return exactEpochToNanos(BigInt(value));
  if (/^\d+\.\d+$/.test(value)) {
    const number = Number(value);
    return Number.isFinite(number) ? epochToNanos(number) : undefined;
  }
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  const zone = m[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + fraction;
}

// Magnitude bounds: 1e11 s is the year 5138, so anything larger is finer than seconds.
function epochToNanos(value: number): bigint {
  if (value < 1e11) return BigInt(Math.round(value * 1e6)) * 1000n;
  if (value < 1e14) return BigInt(Math.round(value * 1e3)) * 1000n;
  if (value < 1e17) return BigInt(Math.round(value)) * 1000n;
  return BigInt(Math.round(value));
}

function exactEpochToNanos(value: bigint): bigint | undefined {
  if (value === 0n) return undefined;
  if (value < 100_000_000_000n) return value * 1_000_000_000n;
  if (value < 100_000_000_000_000n) return value * 1_000_000n;
  if (value < 100_000_000_000_000_000n) return value * 1_000n;
  return value;
}

/** A W3C trace or span id: lowercase hex of the right length and not all zeros. */
export function parseId(value: unknown, hexLength: 32 | 16): string | undefined {
  if (typeof value !== 'string' || value.length !== hexLength || !/^[0-9a-fA-F]+$/.test(value) || /^0+$/.test(value)) return undefined;
  return value.toLowerCase();
}
