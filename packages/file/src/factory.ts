import type { ExporterFactory } from '@sluice/core';
import { jsonlConfigForWorker, jsonlConfigSchema, jsonlUnsupportedKeys, type JsonlConfig } from './config';
import { JsonlExporter } from './exporter';

export const jsonlExporterFactory: ExporterFactory<JsonlConfig> = {
  kind: 'exporter',
  type: 'jsonl',
  aliases: ['file'],
  description: 'Writes logs to local JSONL files (OTLP/JSON or flat lines), with rotation, compression and routing',
  configSchema: jsonlConfigSchema,
  unsupportedKeys: jsonlUnsupportedKeys,
  create: (settings, config) =>
    new JsonlExporter(
      settings,
      settings.worker && settings.worker.count > 1 ? jsonlConfigForWorker(config, settings.worker.index) : config,
    ),
};
