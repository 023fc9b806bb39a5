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
  /** Sluice-only: give up after this many retries (0 = send once); absent = no limit by count. */
  max_retries?: number;
}

export type QueueSizer = 'requests' | 'items' | 'bytes';

export interface SendingQueueConfig {
  enabled: boolean;
  num_consumers: number;
  queue_size: number;
  /** `requests`: queue_size counts batches; `items`: log records; `bytes`: their size as queued (see QueueForm.bytes). */
  sizer: QueueSizer;
  block_on_overflow: boolean;
  /** A storage extension id (`file_storage` or `file_storage/name`): the queue lives on disk. */
  storage?: string;
  /** Batching behind the queue; absent = each queued request is sent as it is. */
  batch?: BatchConfig;
}

/**
 * `sending_queue.batch`, otelcol's keys and defaults: consumers merge queued requests until a
 * batch reaches `min_size` or `flush_timeout` has passed since its first request, and split
 * batches above `max_size` (0 = no cap). Data is acknowledged when queued, so nobody waits for a
 * batch to fill.
 */
export interface BatchConfig {
  /** Milliseconds. */
  flush_timeout: number;
  min_size: number;
  max_size: number;
  /** `items`: log records; `bytes`: their size as queued (see QueueForm.bytes). */
  sizer: 'items' | 'bytes';
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
  max_retries: z.number().int().min(0).optional(),
});

function batchSchema(defaults: BatchConfig | undefined) {
  const schema = section({
    flush_timeout: duration('200ms').refine((ms) => ms > 0, { message: 'must be more than 0' }),
    min_size: z.number().int().min(0).default(8192),
    max_size: z.number().int().min(0).default(0),
    sizer: z.enum(['items', 'bytes'], { message: 'batches are measured in items or bytes' }).default('items'),
  }).superRefine((batch, ctx) => {
    if (batch.max_size > 0 && batch.max_size < batch.min_size) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['max_size'], message: 'must be 0 (no cap) or at least min_size' });
    }
  });
  // Absent keeps the exporter's own default (none, or e.g. Loki's); `batch:` or `batch: {}` is otelcol's defaults.
  const defaultInput = defaults && { ...defaults, flush_timeout: `${defaults.flush_timeout}ms` };
  return z.preprocess((value) => (value === undefined ? defaultInput : value), schema.optional());
}

const sendingQueueSchema = (defaultBatch: BatchConfig | undefined) =>
  section({
    enabled: z.boolean().default(true),
    num_consumers: z.number().int().min(1).default(10),
    queue_size: z.number().int().min(1).optional(),
    sizer: z.enum(['requests', 'items', 'bytes']).optional(),
    block_on_overflow: z.boolean().default(false),
    storage: z.string().min(1).optional(),
    batch: batchSchema(defaultBatch),
  }).transform(({ queue_size, sizer, batch, ...rest }): SendingQueueConfig => {
    // A queue_size alone keeps otelcol's meaning (requests); nothing at all means the byte bound.
    const effectiveSizer = sizer ?? (queue_size === undefined ? 'bytes' : 'requests');
    const defaultSize = effectiveSizer === 'bytes' ? DEFAULT_QUEUE_BYTES : DEFAULT_QUEUE_SIZE;
    return { ...rest, sizer: effectiveSizer, queue_size: queue_size ?? defaultSize, ...(batch ? { batch } : {}) };
  });

/**
 * Spread into an exporter's schema: `section({ endpoint: ..., ...exporterHelperShape() })`.
 * `batch` is the exporter's default `sending_queue.batch` when the config has none.
 */
export function exporterHelperShape(defaults: { batch?: BatchConfig } = {}) {
  return {
    timeout: duration('5s'),
    retry_on_failure: retrySchema,
    sending_queue: sendingQueueSchema(defaults.batch),
  };
}

/** otelcol exporterhelper keys Sluice knows but does not implement; spread into a factory's `unsupportedKeys`. */
export const exporterHelperUnsupportedKeys = {
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
    why: 'the experimental exporter batcher was replaced in otelcol by sending_queue.batch; write that instead',
  },
} as const satisfies Readonly<Record<string, { effect: 'ignore' | 'error'; why: string }>>;
