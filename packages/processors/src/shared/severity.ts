/**
 * OTLP severity numbers by name: TRACE..TRACE4 = 1..4, DEBUG = 5.., INFO = 9.., WARN = 13..,
 * ERROR = 17.., FATAL = 21..24. Shared by the filter's SEVERITY_NUMBER_* constants, the
 * attributes matcher's `log_severity_number.min` and logparse.
 */
const BASES = [
  ['TRACE', 1],
  ['DEBUG', 5],
  ['INFO', 9],
  ['WARN', 13],
  ['ERROR', 17],
  ['FATAL', 21],
] as const;

export const SEVERITY_NUMBERS: ReadonlyMap<string, number> = (() => {
  const names = new Map<string, number>([['UNSPECIFIED', 0]]);
  for (const [name, base] of BASES) {
    names.set(name, base);
    for (let step = 2; step <= 4; step++) names.set(`${name}${step}`, base + step - 1);
  }
  return names;
})();
