import { stringify } from 'yaml';

export interface OtlpPipelineOptions {
  /** OTLP protocols to receive on 127.0.0.1, with their ports (0: any free one). Default: HTTP only. */
  otlp?: { grpc?: number; http?: number };
  /** TLS settings for every OTLP protocol. */
  tls?: Record<string, unknown>;
  /** Extensions by id; each is also enabled in `service.extensions`. */
  extensions?: Record<string, unknown>;
  /** More `service` settings, e.g. `{ shutdown_timeout: '2s' }`. */
  service?: Record<string, unknown>;
  /** Serve self-metrics for Prometheus on 127.0.0.1 (a free port); otherwise self-metrics are off. */
  prometheus?: boolean;
  /** Processors by id, run in this order. */
  processors?: Record<string, unknown>;
}

/** Collector YAML for one logs pipeline: the OTLP receiver in, `exporters` (by id) out. */
export function otlpPipelineConfig(exporters: Record<string, unknown>, options: OtlpPipelineOptions = {}): string {
  const { otlp = { http: 0 }, tls, extensions, service = {}, prometheus = false, processors } = options;
  const protocols = Object.fromEntries(
    Object.entries(otlp).map(([protocol, port]) => [protocol, { endpoint: `127.0.0.1:${port}`, ...(tls ? { tls } : {}) }]),
  );
  const telemetry = prometheus
    ? { metrics: { readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: 0 } } } }] } }
    : { metrics: { level: 'none' } };
  return stringify({
    ...(extensions ? { extensions } : {}),
    receivers: { otlp: { protocols } },
    ...(processors ? { processors } : {}),
    exporters,
    service: {
      ...service,
      ...(extensions ? { extensions: Object.keys(extensions) } : {}),
      telemetry,
      pipelines: {
        logs: { receivers: ['otlp'], ...(processors ? { processors: Object.keys(processors) } : {}), exporters: Object.keys(exporters) },
      },
    },
  });
}
