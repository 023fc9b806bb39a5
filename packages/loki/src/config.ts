/**
 * The `loki` exporter's config. Keys follow the (deprecated) otelcol lokiexporter where it had
 * one — endpoint, headers, tls, auth, timeout, retry_on_failure, sending_queue — plus what that
 * exporter did through hints and processors, written here as plain keys: tenant, labels,
 * structured metadata, line format, encoding.
 */
import { z } from 'zod';
import {
  authSchema,
  duration,
  exporterHelperShape,
  type BatchConfig,
  exporterHelperUnsupportedKeys,
  requiredString,
  section,
  tlsClientSchema,
} from '@sluice/core';
import { HIGH_CARDINALITY_NAMES, normalizeLabelName } from './label-name';

/** `{attribute: label_name}`; an empty label name means the attribute's own name, normalised. */
const labelMap = z.record(z.string().nullable()).default({});

const labelsSchema = section({
  resource: labelMap,
  attributes: labelMap,
  static: z.record(z.string()).default({}),
  /** Loki's OTLP default labels (service_name, ...) for resource attributes `resource` does not name; false keeps them out. */
  default_resource: z.boolean().default(true),
  /** Severity as a `level` label. Off by default: it goes to `detected_level` metadata instead. */
  level: z.boolean().default(false),
  max_values_per_label: z.number().int().min(1).default(100),
  /** The sliding window over which the distinct values of a label are counted. */
  values_window: duration('10m'),
});

const structuredMetadataSection = section({
  enabled: z.boolean().default(true),
  /** Record attributes copied to structured metadata (they stay in the line too). */
  attributes: z.array(z.string().min(1)).default([]),
});

/** `structured_metadata: false` is the short way to turn it off for Loki 2. */
const structuredMetadataSchema = z
  .union([z.boolean(), structuredMetadataSection])
  .default(true)
  .transform((value) => (typeof value === 'boolean' ? { enabled: value, attributes: [] as string[] } : value));

const httpEndpoint = requiredString().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `"${value}" is not an http(s) URL (e.g. http://127.0.0.1:3100/loki/api/v1/push)`,
    });
  }
});

/**
 * Pushes the size Loki's own clients send (Promtail and Alloy `loki.write`: 1 MiB or 1 s,
 * whichever first), measured as the uncompressed push bytes the memory queue holds (OTLP protobuf
 * bytes for a persistent queue, read back from disk). A push
 * above `max_request_bytes` is still split by the exporter, so Loki's message size limit holds.
 */
const LOKI_DEFAULT_BATCH: BatchConfig = { flush_timeout: 1000, min_size: 1024 * 1024, max_size: 0, sizer: 'bytes' };

export const lokiConfigSchema = section({
  endpoint: httpEndpoint,
  headers: z.record(z.string()).default({}),
  tls: tlsClientSchema.optional(),
  auth: authSchema.optional(),
  /** Sent as X-Scope-OrgID; empty sends none (Loki with auth_enabled: false). */
  tenant_id: z.string().default(''),
  encoding: z.enum(['protobuf', 'json']).default('protobuf'),
  /** For json bodies (gzip by default). Protobuf bodies are always snappy, as Loki requires. */
  compression: z.preprocess(
    // A bool as well (true = gzip), so one switch such as `${env:USE_GZIP}` can set it.
    (value) => (typeof value === 'boolean' ? (value ? 'gzip' : 'none') : value),
    z.enum(['gzip', 'none', '']).optional(),
  ),
  format: z.enum(['json', 'logfmt', 'raw']).default('json'),
  labels: labelsSchema,
  structured_metadata: structuredMetadataSchema,
  max_request_bytes: z
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** otelcol's confighttp name: at most this many connections to Loki (0 = no limit). */
  max_conns_per_host: z.number().int().min(0).default(0),
  ...exporterHelperShape({ batch: LOKI_DEFAULT_BATCH }),
}).superRefine((config, ctx) => {
  if (config.encoding === 'protobuf' && config.compression === 'gzip') {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['compression'],
      message: 'protobuf push bodies are snappy-compressed as Loki requires; compression applies to encoding: json',
    });
  }
  const configured = { ...config.labels.resource, ...config.labels.attributes };
  for (const [attribute, label] of Object.entries(configured)) {
    const name = normalizeLabelName(label || attribute);
    if (HIGH_CARDINALITY_NAMES.has(name)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['labels'],
        message: `"${name}" would create a stream per value; trace and span ids go to structured metadata, never to labels`,
      });
    }
  }
});

export type LokiConfig = z.infer<typeof lokiConfigSchema>;

/** otelcol lokiexporter keys that Sluice does not implement. */
export const lokiUnsupportedKeys = {
  ...exporterHelperUnsupportedKeys,
  default_labels_enabled: {
    effect: 'ignore',
    why: 'Sluice adds no exporter/job/instance labels: service_name, service_namespace and the environment are labels by default, and labels.level: true adds a level label',
  },
  proxy_url: { effect: 'error', why: 'sending through a proxy is not implemented; ignoring it would send straight to Loki' },
  read_buffer_size: { effect: 'ignore', why: 'buffer sizes are managed by Node.js' },
  write_buffer_size: { effect: 'ignore', why: 'buffer sizes are managed by Node.js' },
  max_idle_conns: { effect: 'ignore', why: 'idle connections are kept by undici; use max_conns_per_host to bound connections' },
  max_idle_conns_per_host: { effect: 'ignore', why: 'idle connections are kept by undici; use max_conns_per_host to bound connections' },
  idle_conn_timeout: { effect: 'ignore', why: 'undici closes idle connections on its own timeout' },
  disable_keep_alives: { effect: 'ignore', why: 'Sluice always reuses connections to Loki' },
  http2_read_idle_timeout: { effect: 'ignore', why: 'Loki is reached over HTTP/1.1' },
  http2_ping_timeout: { effect: 'ignore', why: 'Loki is reached over HTTP/1.1' },
  cookies: { effect: 'ignore', why: 'Loki does not use cookies' },
  tenant: { effect: 'error', why: 'the old lokiexporter tenant block is gone; write tenant_id, or set the loki.tenant hint' },
  'labels.record': { effect: 'error', why: 'the old lokiexporter labels.record block is gone; write labels.attributes or labels.level' },
} as const;
