// The public surface of @sluice/otlp, listed explicitly.

// codec: the ExportLogsServiceResponse (the request codecs are in @sluice/pdata)
export {
  encodeExportResponseProto,
  encodeExportResponseJson,
  decodeExportResponseProto,
  decodeExportResponseJson,
} from './codec/export-response';
export type { PartialSuccess } from './codec/export-response';

// receiver (receiver/)
export { otlpReceiverFactory } from './receiver/factory';
export { otlpReceiverSchema } from './receiver/config';
export type { OtlpReceiverConfig, OtlpGrpcConfig, OtlpHttpConfig } from './receiver/config';

// exporters (exporter/)
export { otlpExporterFactory, otlpHttpExporterFactory, createOtlpGrpcExporter, createOtlpHttpExporter } from './exporter/factory';
export { otlpGrpcExporterSchema, otlpHttpExporterSchema } from './exporter/config';
export type { OtlpGrpcExporterConfig, OtlpHttpExporterConfig } from './exporter/config';

// the load-balancing exporter (exporter/loadbalancing/)
export { loadBalancingExporterFactory, createLoadBalancingExporter } from './exporter/loadbalancing/factory';
export { loadBalancingExporterSchema } from './exporter/loadbalancing/config';
export type { LoadBalancingExporterConfig } from './exporter/loadbalancing/config';
export type { LoadBalancingExporter } from './exporter/loadbalancing/load-balancer';
export { HashRing } from './exporter/loadbalancing/hash-ring';
export type { LookupAll } from './exporter/loadbalancing/dns-resolver';
