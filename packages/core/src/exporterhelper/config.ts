/**
 * The exporterhelper config keys every network exporter shares, with otelcol's names and defaults,
 * so an otelcol exporter section behaves the same here.
 */
import { z } from 'zod';
import { duration, section } from '../config/schema';

export interface RetryConfig {
  enabled: boolean;
  /** All durations in milliseconds. */
  initial_interval: number;
  max_interval: number;
  multiplier: number;
  randomization_factor: number;
  /** 0 = retry until shutdown. */
  max_elapsed_time: number;
}

export type QueueSizer = 'requests' | 'items' | 'bytes';

export interface SendingQueueConfig {
  enabled: boolean;
  num_consumers: number;
  queue_size: number;
  /** `requests`: queue_size counts batches; `items`: log records; `bytes`: their OTLP protobuf size. */
  sizer: QueueSizer;
  block_on_overflow: boolean;
  /** A storage extension id (`file_storage` or `file_storage/name`): the queue lives on disk. */
  storage?: string;
}

/**
 * With neither `sizer` nor `queue_size` set, the queue is bounded in bytes (their OTLP protobuf
 * size), so memory stays bounded whatever the request size: otelcol's default of 1,000 requests
 * of any size reached 675 MB RSS with a saturated Loki and 100-record requests. 16 MiB is
 * ~44,000 records of ~380 bytes.
 */
export const DEFAULT_QUEUE_BYTES = 16 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 1000;

export interface ExporterHelperConfig {
  /** Per attempt, in milliseconds; 0 = no timeout. */
  timeout: number;
  retry_on_failure: RetryConfig;
  sending_queue: SendingQueueConfig;
}

const retrySchema = section({
  enabled: z.boolean().default(true),
  initial_interval: duration('5s'),
  max_interval: duration('30s'),
  multiplier: z.number().min(1, { message: 'must be at least 1' }).default(1.5),
  randomization_factor: z.number().min(0).max(1, { message: 'must be between 0 and 1' }).default(0.5),
  max_elapsed_time: duration('5m'),
});

const sendingQueueSchema = section({
  enabled: z.boolean().default(true),
  num_consumers: z.number().int().min(1).default(10),
  queue_size: z.number().int().min(1).optional(),
  sizer: z.enum(['requests', 'items', 'bytes']).optional(),
  block_on_overflow: z.boolean().default(false),
  storage: z.string().min(1).optional(),
}).transform(({ queue_size, sizer, ...rest }): SendingQueueConfig => {
  // A queue_size alone keeps otelcol's meaning (requests); nothing at all means the byte bound.
  const effectiveSizer = sizer ?? (queue_size === undefined ? 'bytes' : 'requests');
  const defaultSize = effectiveSizer === 'bytes' ? DEFAULT_QUEUE_BYTES : DEFAULT_QUEUE_SIZE;
  return { ...rest, sizer: effectiveSizer, queue_size: queue_size ?? defaultSize };
});

/** Spread into an exporter's schema: `section({ endpoint: ..., ...exporterHelperShape })`. */
export const exporterHelperShape = {
  timeout: duration('5s'),
  retry_on_failure: retrySchema,
  sending_queue: sendingQueueSchema,
};

/** otelcol exporterhelper keys Sluice knows but does not implement; spread into a factory's `unsupportedKeys`. */
export const exporterHelperUnsupportedKeys = {
  'sending_queue.batch': {
    effect: 'ignore',
    why: 'batching inside the sending queue is not implemented; put a batch processor in the pipeline',
  },
  'sending_queue.wait_for_result': {
    effect: 'error',
    why: 'Sluice always acknowledges once data is queued; waiting for the send result would change delivery',
  },
  'sending_queue.blocking': {
    effect: 'error',
    why: 'deprecated in otelcol; write sending_queue.block_on_overflow instead',
  },
  batcher: {
    effect: 'ignore',
    why: 'the experimental exporter batcher is not implemented; put a batch processor in the pipeline',
  },
} as const satisfies Readonly<Record<string, { effect: 'ignore' | 'error'; why: string }>>;
