import type { Telemetry } from './telemetry';

/**
 * The metric families shared by every receiver and exporter, named as current otelcol exposes
 * them through its Prometheus reader (counters end in `_total`). Component-specific metrics
 * (batch triggers, Loki label guard, ...) are created by their components.
 */
export function receiverMetrics(telemetry: Telemetry) {
  return {
    accepted: telemetry.counter('otelcol_receiver_accepted_log_records_total', 'Log records successfully pushed into the pipeline.', [
      'receiver',
      'transport',
    ]),
    refused: telemetry.counter('otelcol_receiver_refused_log_records_total', 'Log records that could not be pushed into the pipeline.', [
      'receiver',
      'transport',
    ]),
  };
}

export function exporterMetrics(telemetry: Telemetry) {
  return {
    sent: telemetry.counter('otelcol_exporter_sent_log_records_total', 'Log records successfully sent to the destination.', ['exporter']),
    sendFailed: telemetry.counter(
      'otelcol_exporter_send_failed_log_records_total',
      'Log records that failed to be sent to the destination (after retries, or refused permanently).',
      ['exporter'],
    ),
    enqueueFailed: telemetry.counter(
      'otelcol_exporter_enqueue_failed_log_records_total',
      'Log records that could not be added to the sending queue.',
      ['exporter'],
    ),
  };
}
