import type { ErrorCode } from '@sluice/pdata';

/** One finding about a config: an error refuses the config, a warning is printed and the config runs. */
export interface ConfigDiagnostic {
  code: ErrorCode;
  severity: 'error' | 'warning';
  /** Dotted key path, e.g. `exporters.loki.endpont` or `service.pipelines.logs.exporters[1]`. */
  path: string;
  /** Where the key (or value) is written; line and column are 1-based. */
  file?: string;
  line?: number;
  column?: number;
  /** The detail, e.g. `unknown key; did you mean endpoint?`. */
  message: string;
}

/** `SLUICE_CONFIG_UNKNOWN_KEY: exporters.loki.endpont (configs/x.yaml:12:5): unknown key; did you mean endpoint?` */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const where = formatWhere(d);
  const subject = [d.path, where && `(${where})`].filter(Boolean).join(' ');
  return subject === '' ? `${d.code}: ${d.message}` : `${d.code}: ${subject}: ${d.message}`;
}

function formatWhere(d: ConfigDiagnostic): string {
  if (d.line === undefined) return d.file ?? '';
  const lineColumn = d.column === undefined ? `${d.line}` : `${d.line}:${d.column}`;
  return d.file === undefined ? `line ${lineColumn}` : `${d.file}:${lineColumn}`;
}

/** Errors first, then warnings; each group in file order, then line and column, so output reads like the files. */
export function sortDiagnostics(diagnostics: readonly ConfigDiagnostic[], files: readonly string[]): ConfigDiagnostic[] {
  const fileRank = (d: ConfigDiagnostic) => (d.file === undefined ? -1 : files.indexOf(d.file));
  return [...diagnostics].sort(
    (a, b) =>
      Number(a.severity === 'warning') - Number(b.severity === 'warning') ||
      fileRank(a) - fileRank(b) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}
