/** OTLP SeverityNumber enum names (logs.proto), which OTLP/JSON senders may use instead of numbers. */
export const SEVERITY_NUMBER_BY_NAME: ReadonlyMap<string, number> = new Map(
  ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level, i) =>
    ['', '2', '3', '4'].map((suffix, j): [string, number] => [`SEVERITY_NUMBER_${level}${suffix}`, 1 + i * 4 + j]),
  ).concat([['SEVERITY_NUMBER_UNSPECIFIED', 0]]),
);
