/**
 * Turns OTLP logs into Loki push requests: the label set of each record, its line, its
 * structured metadata and its timestamp; records grouped into streams by label set, entries in
 * time order, one request per tenant.
 *
 * Everything that depends only on the resource (its labels, hints, tenant, the resource part
 * of the line) is worked out once per ResourceLogs; a record without attribute labels or hints
 * reuses the resource's label string as is.
 */
import {
  anyValueToString,
  detectedLevel,
  getAttribute,
  type AnyValue,
  type KeyValue,
  type LogRecord,
  type LogsData,
  type Resource,
} from '@sluice/pdata';
import { HIGH_CARDINALITY_NAMES, normalizeLabelName } from './label-name';
import { formatLabels, type LabelPair } from './label-string';
import { jsonLine, jsonResourcePart, jsonScopePart, logfmtLine, logfmtResourcePart, logfmtScopePart, rawLine } from './lines';
import type { LineFormat, MappingOptions } from './mapping-options';
import type { PushEntry, PushRequest, PushStream } from './push';

/** The otelcol lokiexporter hints: attributes that steer the mapping and never reach the line. */
export const HINT_RESOURCE_LABELS = 'loki.resource.labels';
export const HINT_ATTRIBUTE_LABELS = 'loki.attribute.labels';
export const HINT_TENANT = 'loki.tenant';
export const HINT_FORMAT = 'loki.format';

/** Loki's name for a stream whose record brought no label at all. */
const UNKNOWN_SERVICE: LabelPair = { name: 'service_name', value: 'unknown_service' };

export interface ResourcePlan {
  labels: Map<string, string>;
  /** formatLabels of `labels`, for records that add none of their own */
  labelString: string;
  /** resource attribute keys left out of the line: promoted labels and hints */
  hidden: Set<string> | undefined;
  format: LineFormat;
  tenant: string;
  tenantHint: string | undefined;
  attributeLabelHints: readonly string[];
  /** the resource part of a json or logfmt line */
  linePart: string;
  /** for `raw` lines: the resource attributes that are not labels, as metadata */
  metadata: LabelPair[];
}

/** Called when the cardinality guard keeps a value out of a label. */
export type LimitedLabelListener = (label: string, value: string) => void;

export function mapToStreams(
  logs: LogsData,
  options: MappingOptions,
  receiveTimeNs: bigint,
  onLimited?: LimitedLabelListener,
): PushRequest[] {
  const tenants = new Map<string, Map<string, PushStream>>();
  for (const resourceLogs of logs.resourceLogs) {
    const plan = planResource(resourceLogs.resource, options);
    for (const scopeLogs of resourceLogs.scopeLogs) {
      const scopePart =
        plan.format === 'json' ? jsonScopePart(scopeLogs.scope) : plan.format === 'logfmt' ? logfmtScopePart(scopeLogs.scope) : '';
      for (const record of scopeLogs.logRecords) {
        addRecord(tenants, plan, scopePart, record, resourceLogs.resource, options, receiveTimeNs, onLimited);
      }
    }
  }
  const requests: PushRequest[] = [];
  for (const [tenant, streams] of tenants) {
    const list = [...streams.values()];
    for (const stream of list) sortByTime(stream.entries);
    requests.push({ tenant, streams: list });
  }
  return requests;
}

function addRecord(
  tenants: Map<string, Map<string, PushStream>>,
  plan: ResourcePlan,
  scopePart: string,
  record: LogRecord,
  resource: Resource,
  options: MappingOptions,
  receiveTimeNs: bigint,
  onLimited: LimitedLabelListener | undefined,
): void {
  const metadata: LabelPair[] = [];
  if (options.structuredMetadata) addStandardMetadata(record, options, metadata);

  // Only records with `loki.*` hints or configured attribute labels pay for a label set of their own.
  let labels: Map<string, string> | undefined;
  // Record attribute keys to leave out of the line (the resource's own are in plan.hidden).
  let hidden: Set<string> | undefined;
  let format = plan.format;
  let tenant = plan.tenant;
  let tenantHint = plan.tenantHint;
  let attributeLabelHints = plan.attributeLabelHints;
  const attributes = record.attributes;
  if (options.attributeLabels.size > 0 || attributeLabelHints.length > 0 || hasHints(attributes)) {
    for (let i = 0; i < attributes.length; i++) {
      const { key, value } = attributes[i]!;
      if (key === HINT_ATTRIBUTE_LABELS) attributeLabelHints = attributeLabelHints.concat(splitHint(value));
      else if (key === HINT_FORMAT) format = parseFormat(value) ?? format;
      else if (key === HINT_TENANT) tenantHint = anyValueToString(value);
      else continue;
      (hidden ??= new Set()).add(key);
    }
    for (let i = 0; i < attributes.length; i++) {
      const { key, value } = attributes[i]!;
      let label = options.attributeLabels.get(key);
      if (label === undefined && attributeLabelHints.includes(key)) label = normalizeLabelName(key);
      if (label === undefined || HIGH_CARDINALITY_NAMES.has(label)) continue;
      const text = anyValueToString(value);
      if (text === '') continue;
      if (options.admitLabelValue && !options.admitLabelValue(label, text)) {
        // Over the guard's limit: the value stays in the line and moves to structured metadata.
        onLimited?.(label, text);
        if (options.structuredMetadata) metadata.push({ name: label, value: text });
        continue;
      }
      (labels ??= new Map(plan.labels)).set(label, text);
      (hidden ??= new Set()).add(key);
    }
  }
  if (options.levelLabel) {
    const level = detectedLevel(record.severityNumber, record.severityText);
    if (level !== '') (labels ??= new Map(plan.labels)).set('level', level);
  }
  if (tenantHint !== undefined) {
    const value = getAttribute(attributes, tenantHint) ?? getAttribute(resource.attributes, tenantHint);
    if (value !== undefined && value !== null) tenant = anyValueToString(value);
  }

  let line: string;
  if (format === 'json') {
    const resourcePart = format === plan.format ? plan.linePart : jsonResourcePart(resource.attributes, plan.hidden);
    line = jsonLine(record, hidden, resourcePart, scopePart);
  } else if (format === 'logfmt') {
    const resourcePart = format === plan.format ? plan.linePart : logfmtResourcePart(resource.attributes, plan.hidden);
    line = logfmtLine(record, hidden, resourcePart, scopePart);
  } else {
    line = rawLine(record);
    if (options.structuredMetadata) addRawMetadata(record.attributes, hidden, options, metadata, plan.metadata);
  }

  const labelString = labels ? labelStringOf(labels) : plan.labelString;
  let streams = tenants.get(tenant);
  if (!streams) tenants.set(tenant, (streams = new Map<string, PushStream>()));
  let stream = streams.get(labelString);
  if (!stream) streams.set(labelString, (stream = { labels: labelString, entries: [] }));
  stream.entries.push({ timestampNs: entryTime(record, receiveTimeNs), line, metadata });
}

export function planResource(resource: Resource, options: MappingOptions): ResourcePlan {
  const attributes = resource.attributes;
  let hidden: Set<string> | undefined;
  let format = options.format;
  let tenantHint: string | undefined;
  let attributeLabelHints: string[] = [];
  let resourceLabelHints: string[] = [];
  for (const { key, value } of attributes) {
    if (key === HINT_RESOURCE_LABELS) resourceLabelHints = splitHint(value);
    else if (key === HINT_ATTRIBUTE_LABELS) attributeLabelHints = splitHint(value);
    else if (key === HINT_FORMAT) format = parseFormat(value) ?? format;
    else if (key === HINT_TENANT) tenantHint = anyValueToString(value);
    else continue;
    (hidden ??= new Set()).add(key);
  }

  const labels = new Map<string, string>();
  const labelKeys = new Set<string>();
  for (const { name, value } of options.staticLabels) labels.set(name, value);
  for (const { key, value } of attributes) {
    const hinted = resourceLabelHints.includes(key);
    const label = options.resourceLabels.get(key) ?? (hinted ? normalizeLabelName(key) : undefined);
    if (label === undefined || HIGH_CARDINALITY_NAMES.has(label)) continue;
    const text = anyValueToString(value);
    if (text === '') continue;
    labels.set(label, text);
    labelKeys.add(key);
    // Labels the user asked for leave the line, as in the otelcol lokiexporter; the default ones stay, so `| json` still sees them.
    if (hinted || !options.defaultResourceLabelKeys.has(key)) (hidden ??= new Set()).add(key);
  }

  let tenant = options.tenantId;
  if (tenantHint !== undefined) {
    const value = getAttribute(attributes, tenantHint);
    if (value !== undefined && value !== null) tenant = anyValueToString(value);
  }

  const linePart =
    format === 'json' ? jsonResourcePart(attributes, hidden) : format === 'logfmt' ? logfmtResourcePart(attributes, hidden) : '';
  const metadata: LabelPair[] = [];
  if (format === 'raw' && options.structuredMetadata) {
    for (const { key, value } of attributes) {
      if (hidden?.has(key) || labelKeys.has(key)) continue;
      metadata.push({ name: normalizeLabelName(key), value: anyValueToString(value) });
    }
  }
  return {
    labels,
    labelString: labelStringOf(labels),
    hidden,
    format,
    tenant,
    tenantHint,
    attributeLabelHints,
    linePart,
    metadata,
  };
}

function addStandardMetadata(record: LogRecord, options: MappingOptions, metadata: LabelPair[]): void {
  if (record.traceId !== '') metadata.push({ name: 'trace_id', value: record.traceId });
  if (record.spanId !== '') metadata.push({ name: 'span_id', value: record.spanId });
  if (record.severityText !== '') metadata.push({ name: 'severity_text', value: record.severityText });
  if (record.severityNumber !== 0) metadata.push({ name: 'severity_number', value: String(record.severityNumber) });
  if (!options.levelLabel) {
    const level = detectedLevel(record.severityNumber, record.severityText);
    if (level !== '') metadata.push({ name: 'detected_level', value: level });
  }
  if (options.metadataAttributes.size === 0) return;
  for (const { key, value } of record.attributes) {
    const name = options.metadataAttributes.get(key);
    if (name !== undefined) metadata.push({ name, value: anyValueToString(value) });
  }
}

/** A raw line carries only the body, so every attribute that is not a label rides along as metadata. */
function addRawMetadata(
  attributes: readonly KeyValue[],
  hidden: ReadonlySet<string> | undefined,
  options: MappingOptions,
  metadata: LabelPair[],
  resourceMetadata: readonly LabelPair[],
): void {
  for (const { key, value } of attributes) {
    if (hidden?.has(key) || options.metadataAttributes.has(key)) continue;
    metadata.push({ name: normalizeLabelName(key), value: anyValueToString(value) });
  }
  for (let i = 0; i < resourceMetadata.length; i++) metadata.push(resourceMetadata[i]!);
}

function labelStringOf(labels: Map<string, string>): string {
  if (labels.size === 0) return formatLabels([UNKNOWN_SERVICE]);
  const pairs: LabelPair[] = [];
  for (const [name, value] of labels) pairs.push({ name, value });
  pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return formatLabels(pairs);
}

/** The record's time; when the sender left it 0, the observed time; else when the collector received it. */
function entryTime(record: LogRecord, receiveTimeNs: bigint): bigint {
  if (record.timeUnixNano !== 0n) return record.timeUnixNano;
  if (record.observedTimeUnixNano !== 0n) return record.observedTimeUnixNano;
  return receiveTimeNs;
}

function sortByTime(entries: PushEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.timestampNs < entries[i - 1]!.timestampNs) {
      // Array.prototype.sort is stable, so records with equal times keep their order.
      entries.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
      return;
    }
  }
}

function hasHints(attributes: readonly KeyValue[]): boolean {
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i]!.key.startsWith('loki.')) return true;
  }
  return false;
}

function splitHint(value: AnyValue): string[] {
  return anyValueToString(value)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function parseFormat(value: AnyValue): LineFormat | undefined {
  const text = anyValueToString(value);
  return text === 'json' || text === 'logfmt' || text === 'raw' ? text : undefined;
}
