import type { Telemetry } from '@sluice/core';

// otelcol's batch_send_size buckets, so dashboards built for otelcol read the same.
const SEND_SIZE_BUCKETS = [
  10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000,
];

export function batchMetrics(telemetry: Telemetry, processor: string) {
  return {
    sendSize: telemetry
      .histogram(
        'otelcol_processor_batch_batch_send_size',
        'Number of log records in each batch handed to the next consumer.',
        ['processor'],
        SEND_SIZE_BUCKETS,
      )
      .labels({ processor }),
    sizeTrigger: telemetry
      .counter('otelcol_processor_batch_batch_size_trigger_send_total', 'Batches of at least send_batch_size records.', ['processor'])
      .labels({ processor }),
    timeoutTrigger: telemetry
      .counter(
        'otelcol_processor_batch_timeout_trigger_send_total',
        'Batches smaller than send_batch_size: sent at once, as no timer holds them.',
        ['processor'],
      )
      .labels({ processor }),
    cardinality: telemetry
      .gauge('otelcol_processor_batch_metadata_cardinality', 'Distinct metadata value combinations being batched.', ['processor'])
      .labels({ processor }),
  };
}

export type BatchMetrics = ReturnType<typeof batchMetrics>;
