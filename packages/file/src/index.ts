// The public surface of @sluice/file, listed explicitly.

export { jsonlExporterFactory } from './factory';
export { jsonlConfigSchema } from './config';
export type { JsonlConfig } from './config';
export { JsonlExporter } from './exporter';
export type { JsonlExporterOptions } from './exporter';
export { encodeFlatLines, formatRfc3339Nano } from './flat';
