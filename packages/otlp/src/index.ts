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
