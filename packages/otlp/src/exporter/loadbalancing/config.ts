/**
 * Config of the `loadbalancing` exporter, with otelcol-contrib's keys for logs: `routing_key`,
 * `protocol.otlp` (the `otlp` exporter's settings, each backend's endpoint coming from the
 * resolver), and exactly one of the `static`, `dns` and `k8s` resolvers.
 */
import { z } from 'zod';
import { duration, parseHostPort, requiredString, section } from '@sluice/core';
import { otlpGrpcExporterUnsupportedKeys, otlpGrpcSettingsSchema } from '../config';

/** otelcol's default backend port, for a hostname written without one. */
export const DEFAULT_BACKEND_PORT = 4317;

const port = z.number().int().min(1).max(65535);

const hostname = requiredString().superRefine((value, ctx) => {
  if (!parseHostPort(value) && !/^[A-Za-z0-9.-]+$/.test(value) && !/^\[[0-9A-Fa-f:.]+\]$/.test(value)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${value}" is not a host or host:port (e.g. gateway-1:4317)` });
  }
});

export const loadBalancingExporterSchema = section({
  /** Which records go together to one backend. otelcol's default for logs is `service`. */
  routing_key: z.enum(['service', 'resource', 'traceID']).default('service'),
  protocol: section({ otlp: otlpGrpcSettingsSchema }),
  resolver: section({
    static: section({ hostnames: z.array(hostname).min(1) }).optional(),
    dns: section({
      hostname: requiredString(),
      port: z.union([port, z.string().regex(/^\d+$/).transform(Number).pipe(port)]).default(DEFAULT_BACKEND_PORT),
      interval: duration('5s'),
      timeout: duration('1s'),
    }).optional(),
    k8s: section({
      /** `name` or `name.namespace` (the namespace defaults to the collector's own). */
      service: requiredString(),
      ports: z.array(port).min(1).default([DEFAULT_BACKEND_PORT]),
      timeout: duration('1s'),
      /**
       * Sluice's own: the API server's URL. Without it, the in-cluster one (KUBERNETES_SERVICE_HOST
       * and _PORT, with the service account's token and CA).
       */
      api_server: z.string().url().optional(),
    }).optional(),
  }).superRefine((resolver, ctx) => {
    const set = (['static', 'dns', 'k8s'] as const).filter((name) => resolver[name] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: set.length === 0 ? 'set one resolver: static, dns or k8s' : `set only one resolver, not ${set.join(' and ')}`,
      });
    }
  }),
});

export type LoadBalancingExporterConfig = z.infer<typeof loadBalancingExporterSchema>;
export type RoutingKey = LoadBalancingExporterConfig['routing_key'];

export const loadBalancingExporterUnsupportedKeys = {
  ...Object.fromEntries(Object.entries(otlpGrpcExporterUnsupportedKeys).map(([key, value]) => [`protocol.otlp.${key}`, value])),
  'protocol.otlp.endpoint': { effect: 'ignore', why: "the resolver supplies each backend's endpoint" },
  'resolver.k8s.return_hostnames': { effect: 'ignore', why: 'backends are addressed by their pod IPs' },
  'resolver.aws_cloud_map': { effect: 'error', why: 'the AWS Cloud Map resolver is not implemented; use static, dns or k8s' },
  sending_queue: { effect: 'error', why: 'each backend has its own queue: set it under protocol.otlp.sending_queue' },
  retry_on_failure: { effect: 'error', why: 'each backend retries on its own: set it under protocol.otlp.retry_on_failure' },
  timeout: { effect: 'error', why: 'set the per-attempt timeout under protocol.otlp.timeout' },
} as const;
