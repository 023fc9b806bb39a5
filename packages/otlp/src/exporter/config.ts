/**
 * Config of the `otlp` (gRPC) and `otlphttp` exporters, with otelcol's keys and defaults so an
 * otelcol exporter section runs unchanged.
 */
import { z } from 'zod';
import {
  authSchema,
  duration,
  exporterHelperShape,
  exporterHelperUnsupportedKeys,
  parseHostPort,
  requiredString,
  section,
  tlsClientSchema,
  type BatchConfig,
} from '@sluice/core';

/** otelcol accepts more codecs; these two are what OTLP servers are required to understand. */
const compression = z
  .string()
  .default('gzip')
  .transform((value, ctx): 'gzip' | 'none' => {
    if (value === 'gzip') return 'gzip';
    if (value === 'none' || value === '') return 'none';
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `compression "${value}" is not supported by Sluice; use gzip or none` });
    return z.NEVER;
  });

const headers = z.record(z.string()).default({});

/**
 * A gRPC target as otelcol writes it: `host:port`, or with an `http://` / `https://` scheme
 * (stripped; `https://` forces TLS), or a grpc-js name such as `dns:///host:port` / `unix:path`.
 */
const grpcEndpoint = requiredString().superRefine((value, ctx) => {
  if (parseGrpcEndpoint(value) === undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `"${value}" is not a gRPC endpoint (e.g. gateway:4317, https://gateway:4317, dns:///gateway:4317)`,
    });
  }
});

export function parseGrpcEndpoint(value: string): { target: string; https: boolean } | undefined {
  const trimmed = value.trim();
  const scheme = /^(https?):\/\//i.exec(trimmed);
  if (scheme) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return undefined;
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') return undefined;
    const https = scheme[1]!.toLowerCase() === 'https';
    return { target: `${url.hostname}:${url.port || (https ? '443' : '80')}`, https };
  }
  if (/^(dns|unix|unix-abstract|ipv4|ipv6):/.test(trimmed)) return { target: trimmed, https: false };
  return parseHostPort(trimmed) ? { target: trimmed, https: false } : undefined;
}

const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${value}" is not an http(s) URL (e.g. https://gateway:4318)` });
  }
});

/**
 * Batching behind the queue is on by default, as otelcol plans for every exporter: a gateway
 * takes one large request far more cheaply than many small ones (forwarding 100-record requests
 * costs about twice the CPU unbatched). Measured in bytes so a batch stays under the 4 MiB a gRPC
 * server accepts by default; `batch: { min_size: 0 }` sends every request as it is.
 */
export const OTLP_DEFAULT_BATCH: BatchConfig = { flush_timeout: 200, min_size: 1024 * 1024, max_size: 4 * 1024 * 1024, sizer: 'bytes' };

/** Everything of the `otlp` exporter but its endpoint, which a load balancer's resolver supplies per backend. */
const otlpGrpcSettingsShape = {
  tls: tlsClientSchema,
  headers,
  auth: authSchema.optional(),
  compression,
  /** Sets the :authority the server sees (otelcol's `authority`). */
  authority: z.string().min(1).optional(),
  keepalive: section({
    time: duration('10s'),
    timeout: duration('10s'),
    permit_without_stream: z.boolean().default(false),
  }),
  ...exporterHelperShape({ batch: OTLP_DEFAULT_BATCH }),
};

export const otlpGrpcExporterSchema = section({ endpoint: grpcEndpoint, ...otlpGrpcSettingsShape });

/** The `otlp` exporter's settings without `endpoint`: `protocol.otlp` of the `loadbalancing` exporter. */
export const otlpGrpcSettingsSchema = section(otlpGrpcSettingsShape);

export const otlpHttpExporterSchema = section({
  /** The base URL; `/v1/logs` is appended unless `logs_endpoint` is set. */
  endpoint: httpUrl.optional(),
  logs_endpoint: httpUrl.optional(),
  tls: tlsClientSchema.optional(),
  headers,
  auth: authSchema.optional(),
  compression,
  encoding: z.enum(['proto', 'json']).default('proto'),
  /** At most this many connections to the server; 0 = as many as needed. */
  max_conns_per_host: z.number().int().min(0).default(0),
  ...exporterHelperShape({ batch: OTLP_DEFAULT_BATCH }),
  // otelcol's confighttp default: an HTTP request may take longer than a gRPC call's 5s.
  timeout: duration('30s'),
}).superRefine((config, ctx) => {
  if (config.endpoint === undefined && config.logs_endpoint === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['endpoint'], message: 'is required (or set logs_endpoint)' });
  }
});

export type OtlpGrpcExporterConfig = z.infer<typeof otlpGrpcExporterSchema>;
export type OtlpGrpcSettings = z.infer<typeof otlpGrpcSettingsSchema>;
export type OtlpHttpExporterConfig = z.infer<typeof otlpHttpExporterSchema>;

/** Where logs are posted: `logs_endpoint` as given, else `endpoint` + `/v1/logs` (as otelcol composes it). */
export function logsUrl(config: Pick<OtlpHttpExporterConfig, 'endpoint' | 'logs_endpoint'>): URL {
  if (config.logs_endpoint !== undefined) return new URL(config.logs_endpoint);
  const base = config.endpoint!;
  return new URL(base.endsWith('/') ? `${base}v1/logs` : `${base}/v1/logs`);
}

const tlsUnsupportedKeys = {
  'tls.reload_interval': { effect: 'ignore', why: 'certificate files are read once at start' },
  'tls.include_system_ca_certs_pool': { effect: 'ignore', why: 'Node adds its bundled CAs unless ca_file is set' },
  'tls.cipher_suites': { effect: 'ignore', why: "Node's default cipher suites apply" },
  'tls.curve_preferences': { effect: 'ignore', why: "Node's default curves apply" },
} as const;

export const otlpGrpcExporterUnsupportedKeys = {
  ...exporterHelperUnsupportedKeys,
  ...tlsUnsupportedKeys,
  balancer_name: { effect: 'ignore', why: 'grpc-js picks the first reachable address' },
  read_buffer_size: { effect: 'ignore', why: 'Node manages socket buffers' },
  write_buffer_size: { effect: 'ignore', why: 'Node manages socket buffers' },
  wait_for_ready: { effect: 'ignore', why: 'a call fails fast while the server is down and the retry policy sends it again' },
  compression_params: { effect: 'ignore', why: 'gzip runs at its default level' },
} as const;

export const otlpHttpExporterUnsupportedKeys = {
  ...exporterHelperUnsupportedKeys,
  ...tlsUnsupportedKeys,
  'tls.insecure': { effect: 'ignore', why: 'for HTTP the endpoint scheme decides: http:// is plaintext, https:// is TLS' },
  traces_endpoint: { effect: 'ignore', why: 'Sluice exports logs only' },
  metrics_endpoint: { effect: 'ignore', why: 'Sluice exports logs only' },
  profiles_endpoint: { effect: 'ignore', why: 'Sluice exports logs only' },
  proxy_url: { effect: 'error', why: 'sending through a proxy is not implemented; ignoring it would send straight to the server' },
  read_buffer_size: { effect: 'ignore', why: 'Node manages socket buffers' },
  write_buffer_size: { effect: 'ignore', why: 'Node manages socket buffers' },
  max_idle_conns: { effect: 'ignore', why: 'undici keeps idle connections; use max_conns_per_host to bound connections' },
  max_idle_conns_per_host: { effect: 'ignore', why: 'undici keeps idle connections; use max_conns_per_host to bound connections' },
  idle_conn_timeout: { effect: 'ignore', why: 'undici closes idle connections on its own timeout' },
  disable_keep_alives: { effect: 'ignore', why: 'connections are always reused' },
  http2_read_idle_timeout: { effect: 'ignore', why: 'requests go over HTTP/1.1' },
  http2_ping_timeout: { effect: 'ignore', why: 'requests go over HTTP/1.1' },
  cookies: { effect: 'ignore', why: 'OTLP does not use cookies' },
  compression_params: { effect: 'ignore', why: 'gzip runs at its default level' },
} as const;
