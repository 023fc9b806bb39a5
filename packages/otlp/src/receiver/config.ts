import { z } from 'zod';
import { authSchema, duration, endpoint, section, tlsServerSchema } from '@sluice/core';

/** `receivers.otlp.protocols.grpc`, with otelcol's keys and Sluice's 127.0.0.1 default. */
const grpcSchema = section({
  endpoint: endpoint('127.0.0.1:4317'),
  transport: z.literal('tcp').default('tcp'),
  max_recv_msg_size_mib: z.number().positive().default(4),
  max_concurrent_streams: z.number().int().positive().optional(),
  include_metadata: z.boolean().default(false),
  tls: tlsServerSchema.optional(),
  auth: authSchema.optional(),
});

/** `receivers.otlp.protocols.http`. */
const httpSchema = section({
  endpoint: endpoint('127.0.0.1:4318'),
  logs_url_path: z.string().startsWith('/').default('/v1/logs'),
  max_request_body_size: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  include_metadata: z.boolean().default(false),
  tls: tlsServerSchema.optional(),
  auth: authSchema.optional(),
  cors: section({
    allowed_origins: z.array(z.string()).default([]),
    allowed_headers: z.array(z.string()).default([]),
    max_age: z.number().int().nonnegative().optional(),
  }).optional(),
  read_header_timeout: duration('10s'),
  read_timeout: duration('30s'),
  idle_timeout: duration('60s'),
});

export const otlpReceiverSchema = section({
  protocols: section({
    grpc: grpcSchema.optional(),
    http: httpSchema.optional(),
  }).refine((protocols) => protocols.grpc !== undefined || protocols.http !== undefined, {
    message: 'must enable at least one protocol: grpc or http (write `grpc:` or `http:` for the defaults)',
  }),
});

export type OtlpReceiverConfig = z.infer<typeof otlpReceiverSchema>;
export type OtlpGrpcConfig = z.infer<typeof grpcSchema>;
export type OtlpHttpConfig = z.infer<typeof httpSchema>;

/** otelcol keys the receiver accepts in a config but does not implement: warned about and ignored. */
export const otlpReceiverUnsupportedKeys = {
  'protocols.grpc.keepalive': { effect: 'ignore', why: 'grpc-js keepalive defaults apply' },
  'protocols.grpc.read_buffer_size': { effect: 'ignore', why: 'Node manages socket buffers' },
  'protocols.grpc.write_buffer_size': { effect: 'ignore', why: 'Node manages socket buffers' },
  'protocols.http.traces_url_path': { effect: 'ignore', why: 'Sluice receives logs only' },
  'protocols.http.metrics_url_path': { effect: 'ignore', why: 'Sluice receives logs only' },
  'protocols.http.write_timeout': { effect: 'ignore', why: 'responses are small' },
} as const;
