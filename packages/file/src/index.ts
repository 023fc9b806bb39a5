// The public surface of @sluice/file, listed explicitly.

export { jsonlExporterFactory } from './factory';
export { jsonlConfigSchema } from './config';
export type { JsonlConfig } from './config';
export { JsonlExporter } from './exporter';
export type { JsonlExporterOptions } from './exporter';
export { encodeFlatLines, formatRfc3339Nano } from './flat';
export { PathTemplate } from './path-template';
export { jsonFileReceiverFactory, jsonFileReceiverSchema } from './json-file-receiver';
export type { JsonFileReceiverConfig } from './json-file-receiver';
export { JsonFileReader } from './json-file-reader';
export type { ReadTotals } from './json-file-reader';
export { expandGlobs } from './glob';
export { SIGNALS, checkSignal, fileListJson, inventory, findFileGroups, removeFiles } from './file-inventory';
export type { FileSelector, FileGroup, FileListRow, InventoryEntry, Signal } from './file-inventory';
export { FILE_ADMIN_DEFAULT_ENDPOINT, fileAdminExtensionFactory, fileAdminSchema } from './file-admin';
export type { FileAdminConfig } from './file-admin';
