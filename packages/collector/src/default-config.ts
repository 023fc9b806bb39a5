/**
 * What `sluice` runs with no `--config`: OTLP in on the standard ports (loopback only), JSONL
 * files out under ./data — a working pipeline with nothing else installed. Kept in step with
 * configs/local.yaml.
 */
export const DEFAULT_CONFIG = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318

exporters:
  jsonl:
    path: ./data/logs.jsonl
    append: true

extensions:
  health_check:
    endpoint: 127.0.0.1:13133

service:
  extensions: [health_check]
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: 8888
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [jsonl]
`;
