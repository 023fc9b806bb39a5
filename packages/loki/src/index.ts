// The public surface of @sluice/loki, listed explicitly.
export { normalizeLabelName } from './labelName';
export { formatLabels } from './labelString';
export type { LabelPair } from './labelString';
export { LabelValueGuard } from './labelGuard';
export { resolveMappingOptions, DEFAULT_RESOURCE_LABELS } from './mappingOptions';
export type { LineFormat, MappingOptions, MappingSettings } from './mappingOptions';
export { mapToStreams, HINT_ATTRIBUTE_LABELS, HINT_FORMAT, HINT_RESOURCE_LABELS, HINT_TENANT } from './streams';
export type { LimitedLabelListener } from './streams';
export type { PushEntry, PushStream, PushRequest } from './push';
export { encodePushRequestProto } from './protoEncoder';
export { encodePushRequestJson } from './jsonEncoder';
export { snappyCompress, snappyImplementation } from './snappy';
export { splitRequest } from './split';
export { LokiClient } from './lokiClient';
export type { LokiClientOptions, PushBody } from './lokiClient';
export { lokiExporterFactory, createLokiExporter } from './exporter';
export { lokiConfigSchema, lokiUnsupportedKeys } from './config';
export type { LokiConfig } from './config';
