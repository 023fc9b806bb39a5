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

export interface SendingQueueConfig {
  enabled: boolean;
  num_consumers: number;
  queue_size: number;
  /** `requests`: queue_size counts batches; `items`: it counts log records. */
  sizer: 'requests' | 'items';
  block_on_overflow: boolean;
  /** A storage extension id (`file_storage` or `file_storage/name`): the queue lives on disk. */
  storage?: string;
}

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

const sizerSchema = z
  .string()
  .default('requests')
  .transform((value, ctx): 'requests' | 'items' => {
    if (value === 'requests' || value === 'items') return value;
    const message =
      value === 'bytes'
        ? 'sizer "bytes" is not supported by Sluice; use "requests" or "items"'
        : `"${value}" is not a sizer (use "requests" or "items")`;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    return z.NEVER;
  });

const sendingQueueSchema = section({
  enabled: z.boolean().default(true),
  num_consumers: z.number().int().min(1).default(10),
  queue_size: z.number().int().min(1).default(1000),
  sizer: sizerSchema,
  block_on_overflow: z.boolean().default(false),
  storage: z.string().min(1).optional(),
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
