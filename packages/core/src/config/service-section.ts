/**
 * The `service` section: which extensions start, the logs pipelines (and the metrics pipelines
 * connectors feed) and what they name, the
 * collector's own telemetry (current otelcol syntax and the older `address`), and Sluice's
 * `shutdown_timeout` and `workers`.
 */
import { z } from 'zod';
import { exporterSignal, parseComponentId, type Signal } from '../component';
import type { ConfigDiagnostic } from './diagnostics';
import type { ComponentSection, ComponentsResult } from './components';
import { diagnosticAt, isNull, locate, type MapEntry, type PathSegment, type Position } from './located';
import { duration, parseHostPort, section } from './schema';
import { validateSection, type UnsupportedKeys } from './section-validation';
import { nearestName } from './suggest';
import type { MetricsTelemetryConfig, PipelineConfig, ServiceConfig } from './types';

const idList = z.preprocess((value) => value ?? [], z.array(z.string()));

const pipelineSchema = section({ receivers: idList, processors: idList, exporters: idList });

const prometheusSchema = section({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8888),
});

const readerSchema = section({
  pull: section({ exporter: section({ prometheus: prometheusSchema.optional() }).optional() }).optional(),
});

const serviceSchema = section({
  extensions: idList,
  pipelines: z.preprocess((value) => value ?? {}, z.record(pipelineSchema)),
  telemetry: section({
    metrics: section({
      level: z.enum(['none', 'basic', 'normal', 'detailed']).default('normal'),
      readers: z.array(readerSchema).optional(),
      address: z
        .string()
        .refine((value) => parseHostPort(value) !== undefined, { message: 'is not host:port (e.g. 127.0.0.1:8888)' })
        .optional(),
    }),
    logs: section({
      level: z.preprocess(
        (value) => (typeof value === 'string' ? value.toLowerCase() : value),
        z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      ),
      encoding: z.enum(['console', 'json']).default('console'),
    }),
  }),
  shutdown_timeout: duration('30s'),
  // One message for every wrong value (a union would report only its first branch: `must be "auto"`).
  workers: z.unknown().transform((value, ctx): number | 'auto' => {
    if (value === undefined || value === null) return 1;
    if (value === 'auto' || (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 256)) return value;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give a number of processes from 1 to 256, or auto' });
    return z.NEVER;
  }),
});

type ParsedService = z.infer<typeof serviceSchema>;

const SELF_TELEMETRY = "only affects the collector's own telemetry";
const SERVICE_UNSUPPORTED: UnsupportedKeys = {
  'telemetry.resource': { effect: 'ignore', why: SELF_TELEMETRY },
  'telemetry.traces': { effect: 'ignore', why: 'Sluice does not trace itself' },
  'telemetry.metrics.views': { effect: 'ignore', why: SELF_TELEMETRY },
  'telemetry.metrics.readers.*.periodic': { effect: 'ignore', why: 'Sluice serves its metrics with a Prometheus pull reader only' },
  ...Object.fromEntries(
    ['without_units', 'without_type_suffix', 'without_scope_info', 'with_resource_constant_labels'].map((key) => [
      `telemetry.metrics.readers.*.pull.exporter.prometheus.${key}`,
      { effect: 'ignore', why: SELF_TELEMETRY },
    ]),
  ),
  ...Object.fromEntries(
    [
      'development',
      'disable_caller',
      'disable_stacktrace',
      'sampling',
      'output_paths',
      'error_output_paths',
      'initial_fields',
      'processors',
    ].map((key) => [`telemetry.logs.${key}`, { effect: 'ignore', why: 'Sluice logs to stderr with level and encoding only' }]),
  ),
};

const PIPELINE_LISTS = { receivers: 'receiver', processors: 'processor', exporters: 'exporter' } as const;

export interface ServiceResult {
  service?: ServiceConfig;
  diagnostics: ConfigDiagnostic[];
}

export function validateService(entry: MapEntry | undefined, rootPos: Position, components: ComponentsResult): ServiceResult {
  const diagnostics: ConfigDiagnostic[] = [];
  if (!entry || isNull(entry.value)) {
    diagnostics.push(
      diagnosticAt(
        'SLUICE_CONFIG_REQUIRED',
        'error',
        ['service'],
        entry?.keyPos ?? rootPos,
        'is required: a config needs service.pipelines with at least one logs pipeline',
      ),
    );
    return { diagnostics };
  }
  const node = entry.value;
  const pipelinesEntry = node.kind === 'map' ? node.entries.get('pipelines') : undefined;
  if (pipelinesEntry?.value.kind === 'map') diagnostics.push(...dropNonLogsPipelines(pipelinesEntry.value.entries));

  const sectionContext = { schema: serviceSchema, node, keyPos: entry.keyPos, path: ['service'] };
  const result = validateSection(sectionContext, SERVICE_UNSUPPORTED);
  diagnostics.push(...result.diagnostics);
  if (result.value === undefined) return { diagnostics };
  const parsed = result.value as ParsedService;

  const at = (path: PathSegment[]) => locate(node, entry.keyPos, path).keyPos;
  const pipelines = Object.entries(parsed.pipelines).map(([id, lists]): PipelineConfig => ({
    id,
    signal: parseComponentId(id)!.type as Signal,
    ...lists,
    exporters: lists.exporters.filter((exporter) => !components.disabledExporters.has(exporter)),
  }));
  if (pipelines.length === 0 && !diagnostics.some((d) => d.code === 'SLUICE_CONFIG_PIPELINE')) {
    diagnostics.push(
      diagnosticAt(
        'SLUICE_CONFIG_PIPELINE',
        'error',
        ['service', 'pipelines'],
        at(['pipelines']),
        'at least one logs pipeline is required',
      ),
    );
  }
  for (const pipeline of pipelines) diagnostics.push(...checkPipeline(pipeline, components, at));
  diagnostics.push(...checkConnectors(pipelines, components));
  diagnostics.push(...checkReferences(parsed.extensions, ['extensions'], ['extensions'], components, at));
  diagnostics.push(...unusedComponents(parsed, components));

  const metrics = metricsConfig(parsed, at, diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    service: {
      extensions: parsed.extensions,
      pipelines,
      telemetry: { metrics: metrics ?? null, logs: parsed.telemetry.logs },
      shutdownTimeoutMs: parsed.shutdown_timeout,
      workers: parsed.workers,
    },
    diagnostics,
  };
}

/**
 * Sluice carries logs, and the metrics connectors derive from them: `traces` and `profiles`
 * pipelines are refused with a clear reason, and skipped.
 */
function dropNonLogsPipelines(entries: Map<string, MapEntry>): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  for (const [id, { keyPos }] of entries) {
    const parsed = parseComponentId(id);
    if (parsed?.type === 'logs' || parsed?.type === 'metrics') continue;
    const path = ['service', 'pipelines', id];
    if (parsed && ['traces', 'profiles'].includes(parsed.type)) {
      diagnostics.push(
        diagnosticAt(
          'SLUICE_CONFIG_PIPELINE',
          'error',
          path,
          keyPos,
          `Sluice carries logs (and metrics derived from them by connectors); a ${parsed.type} pipeline cannot run`,
        ),
      );
    } else {
      diagnostics.push(
        diagnosticAt(
          'SLUICE_CONFIG_BAD_ID',
          'error',
          path,
          keyPos,
          `"${id}" is not a pipeline id; write logs, logs/<name>, metrics or metrics/<name>`,
        ),
      );
    }
    entries.delete(id);
  }
  return diagnostics;
}

function checkPipeline(pipeline: PipelineConfig, components: ComponentsResult, at: (path: PathSegment[]) => Position): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  const base = ['pipelines', pipeline.id];
  for (const list of ['receivers', 'exporters'] as const) {
    if (pipeline[list].length === 0) {
      const message = `a pipeline needs at least one ${PIPELINE_LISTS[list]}`;
      diagnostics.push(diagnosticAt('SLUICE_CONFIG_PIPELINE', 'error', ['service', ...base, list], at([...base, list]), message));
    }
  }
  if (pipeline.signal === 'metrics' && pipeline.processors.length > 0) {
    const message = 'metrics pipelines take no processors in Sluice (connectors shape the metrics they derive)';
    diagnostics.push(
      diagnosticAt('SLUICE_CONFIG_PIPELINE', 'error', ['service', ...base, 'processors'], at([...base, 'processors']), message),
    );
  }
  for (const list of ['receivers', 'processors', 'exporters'] as const) {
    const sections = PIPELINE_SECTIONS[pipeline.signal][list];
    diagnostics.push(...checkReferences(pipeline[list], sections, [...base, list], components, at));
  }
  for (const [index, id] of pipeline.exporters.entries()) {
    const exporter = components.components.exporters.get(id);
    if (!exporter || (exporter.factory.kind === 'exporter' && exporterSignal(exporter.factory) === pipeline.signal)) continue;
    const path: PathSegment[] = [...base, 'exporters', index];
    const message = `exporter "${id}" takes ${pipeline.signal === 'logs' ? 'metrics' : 'logs'}; it cannot be an exporter of a ${pipeline.signal} pipeline`;
    diagnostics.push(diagnosticAt('SLUICE_CONFIG_PIPELINE', 'error', ['service', ...path], at(path), message));
  }
  return diagnostics;
}

/** Where the ids of each pipeline list are configured: connectors end logs pipelines and start metrics pipelines. */
const PIPELINE_SECTIONS: Record<Signal, Record<'receivers' | 'processors' | 'exporters', ComponentSection[]>> = {
  logs: { receivers: ['receivers'], processors: ['processors'], exporters: ['exporters', 'connectors'] },
  metrics: { receivers: ['connectors'], processors: ['processors'], exporters: ['exporters'] },
};

/** As otelcol: a connector is an exporter of some logs pipeline and a receiver of some metrics pipeline. */
function checkConnectors(pipelines: PipelineConfig[], components: ComponentsResult): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  for (const [id, keyPos] of components.declared.connectors) {
    const exported = pipelines.some((p) => p.signal === 'logs' && p.exporters.includes(id));
    const received = pipelines.some((p) => p.signal === 'metrics' && p.receivers.includes(id));
    if (exported === received) continue;
    const message = exported
      ? 'is an exporter of a logs pipeline but a receiver of no metrics pipeline, so what it derives goes nowhere'
      : 'is a receiver of a metrics pipeline but an exporter of no logs pipeline, so it has nothing to derive metrics from';
    diagnostics.push(diagnosticAt('SLUICE_CONFIG_PIPELINE', 'error', ['connectors', id], keyPos, message));
  }
  return diagnostics;
}

/** Each id must name a configured component of the right kind (one of `sections`), once. */
function checkReferences(
  ids: string[],
  sections: ComponentSection[],
  listPath: PathSegment[],
  components: ComponentsResult,
  at: (path: PathSegment[]) => Position,
): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  ids.forEach((id, index) => {
    const path: PathSegment[] = [...listPath, index];
    if (ids.indexOf(id) !== index) {
      const code = sections.includes('extensions') ? 'SLUICE_CONFIG_INVALID_VALUE' : 'SLUICE_CONFIG_PIPELINE';
      diagnostics.push(diagnosticAt(code, 'error', ['service', ...path], at(path), `"${id}" is listed twice`));
    } else if (!sections.some((section) => components.declared[section].has(id))) {
      diagnostics.push(
        diagnosticAt(
          'SLUICE_CONFIG_UNDEFINED_COMPONENT',
          'error',
          ['service', ...path],
          at(path),
          undefinedMessage(id, sections, components),
        ),
      );
    }
  });
  return diagnostics;
}

function undefinedMessage(id: string, sections: ComponentSection[], components: ComponentsResult): string {
  let message = `"${id}" is not configured under ${sections.join(' or ')}`;
  const suggestion = nearestName(
    id,
    sections.flatMap((section) => [...components.declared[section].keys()]),
  );
  if (suggestion) return `${message}; did you mean ${suggestion}?`;
  const elsewhere = (Object.keys(components.declared) as ComponentSection[]).find((other) => components.declared[other].has(id));
  if (elsewhere) message += ` (it is configured under ${elsewhere})`;
  return message;
}

/** otelcol builds only what the service uses; say so, rather than silently skip a configured component. */
function unusedComponents(parsed: ParsedService, components: ComponentsResult): ConfigDiagnostic[] {
  const used = new Set<string>();
  for (const lists of Object.values(parsed.pipelines)) {
    for (const list of ['receivers', 'processors', 'exporters'] as const) for (const id of lists[list]) used.add(`${list}:${id}`);
    for (const id of [...lists.receivers, ...lists.exporters]) used.add(`connectors:${id}`);
  }
  for (const id of parsed.extensions) used.add(`extensions:${id}`);
  const diagnostics: ConfigDiagnostic[] = [];
  for (const section of Object.keys(components.components) as ComponentSection[]) {
    for (const id of components.components[section].keys()) {
      if (used.has(`${section}:${id}`)) continue;
      const where = section === 'extensions' ? 'service.extensions' : 'any pipeline';
      const keyPos = components.declared[section].get(id);
      diagnostics.push(
        diagnosticAt(
          'SLUICE_CONFIG_UNUSED',
          'warning',
          [section, id],
          keyPos,
          `is configured but not listed in ${where}, so it will not start`,
        ),
      );
    }
  }
  return diagnostics;
}

function metricsConfig(
  parsed: ParsedService,
  at: (path: PathSegment[]) => Position,
  diagnostics: ConfigDiagnostic[],
): MetricsTelemetryConfig | undefined {
  const { level, readers, address } = parsed.telemetry.metrics;
  const base = ['telemetry', 'metrics'];
  if (readers !== undefined && address !== undefined) {
    const message = 'use either readers (current otelcol) or address (older otelcol), not both';
    diagnostics.push(
      diagnosticAt('SLUICE_CONFIG_INVALID_VALUE', 'error', ['service', ...base, 'address'], at([...base, 'address']), message),
    );
    return undefined;
  }
  if (level === 'none') return undefined;
  if (readers !== undefined) {
    const prometheus = readers.map((reader) => reader.pull?.exporter?.prometheus).filter((p) => p !== undefined);
    if (prometheus.length > 1) {
      const message = 'Sluice serves one Prometheus endpoint; configure one pull reader';
      diagnostics.push(
        diagnosticAt('SLUICE_CONFIG_INVALID_VALUE', 'error', ['service', ...base, 'readers'], at([...base, 'readers']), message),
      );
    }
    return prometheus[0] && { level, ...prometheus[0] };
  }
  if (address !== undefined) return { level, ...parseHostPort(address)! };
  return { level, host: '127.0.0.1', port: 8888 };
}
