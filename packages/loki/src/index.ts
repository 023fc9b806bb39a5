// The public surface of @sluice/loki, listed explicitly.
export { normalizeLabelName } from './label-name';
export { formatLabels } from './label-string';
export type { LabelPair } from './label-string';
export { LabelValueGuard } from './label-guard';
export { resolveMappingOptions, DEFAULT_RESOURCE_LABELS } from './mapping-options';
export type { LineFormat, MappingOptions, MappingSettings } from './mapping-options';
export { mapToStreams, HINT_ATTRIBUTE_LABELS, HINT_FORMAT, HINT_RESOURCE_LABELS, HINT_TENANT } from './streams';
export type { LimitedLabelListener } from './streams';
export type { PushEntry, PushStream, PushRequest } from './push';
export { encodePushRequestProto } from './proto-encoder';
export { encodePushRequestJson } from './json-encoder';
export { snappyCompress, snappyImplementation } from './snappy';
export { splitRequest } from './split';
export { createLokiClient, pushPost } from './loki-client';
export type { LokiClientOptions } from './loki-client';
export { lokiExporterFactory, createLokiExporter } from './exporter';
export { lokiConfigSchema, lokiUnsupportedKeys } from './config';
export type { LokiConfig } from './config';
