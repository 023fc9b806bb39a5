/**
 * The `detected_level` value Grafana colours lines by, with Loki's level names. The severity
 * number decides; a sender that set only a text gets that text, lowercased.
 */
export function detectedLevel(severityNumber: number, severityText: string): string {
  if (severityNumber >= 21) return 'critical';
  if (severityNumber >= 17) return 'error';
  if (severityNumber >= 13) return 'warn';
  if (severityNumber >= 9) return 'info';
  if (severityNumber >= 5) return 'debug';
  if (severityNumber >= 1) return 'trace';
  return severityText === '' ? '' : severityText.toLowerCase();
}
