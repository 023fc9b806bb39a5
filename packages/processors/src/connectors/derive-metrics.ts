import type { HistogramPoint, Metric, MetricAttributes, MetricsData, NumberPoint, ResourceMetrics } from '@sluice/core';
import type { LogsData } from '@sluice/pdata';
import { attributeValues, numericValue, resourceLabels, type MetricDefinition } from './metric-definition';

export interface DeriveOptions {
  /** count looks for a missing attribute in the resource too; signaltometrics reads the record's only. */
  resourceFallback: boolean;
}

interface ResourceGroup {
  resource: MetricAttributes;
  points: Map<string, Point>[];
}

type Point = NumberPoint | HistogramPoint;

/**
 * The delta metrics of one batch of logs: per resource, per metric, one point per distinct set
 * of attribute values. Sums add, gauges keep the last value, histograms count into buckets.
 * Records a metric's conditions do not match, or whose value is not a number, add nothing.
 */
export function deriveMetrics(logs: LogsData, definitions: readonly MetricDefinition[], options: DeriveOptions): MetricsData {
  const byResource = new Map<string, ResourceGroup>();
  for (const resourceLogs of logs.resourceLogs) {
    const resource = resourceLogs.resource;
    // Per metric, since each may keep different resource attributes; found on the first match.
    const groups: (ResourceGroup | undefined)[] = [];
    for (const scopeLogs of resourceLogs.scopeLogs) {
      const scope = scopeLogs.scope;
      for (const record of scopeLogs.logRecords) {
        for (let m = 0; m < definitions.length; m++) {
          const definition = definitions[m]!;
          const { conditions } = definition;
          if (conditions.length > 0 && !conditions.some((matches) => matches(record, resource, scope))) continue;
          const values = attributeValues(definition.attributes, record, resource, options.resourceFallback);
          if (values === undefined) continue;
          const kind = definition.kind;
          const value = numericValue(kind.value(record, resource, scope));
          if (value === undefined) continue;
          let group = groups[m];
          if (!group) {
            const labels = resourceLabels(resource.attributes, definition.includeResourceAttributes);
            const groupKey = JSON.stringify(labels);
            group = byResource.get(groupKey);
            if (!group) {
              group = { resource: labels, points: definitions.map(() => new Map<string, Point>()) };
              byResource.set(groupKey, group);
            }
            groups[m] = group;
          }
          const points = group.points[m]!;
          const key = values.join('\u0000');
          let point = points.get(key);
          if (kind.type === 'histogram') {
            const count = kind.count ? numericValue(kind.count(record, resource, scope)) : 1;
            if (count === undefined) continue;
            if (!point) {
              point = {
                attributes: labelsOf(definition, values),
                count: 0,
                sum: 0,
                bucketCounts: new Array<number>(kind.bounds.length + 1).fill(0),
              };
              points.set(key, point);
            }
            const histogram = point as HistogramPoint;
            histogram.count += count;
            histogram.sum += value * count;
            histogram.bucketCounts[bucketIndex(kind.bounds, value)]! += count;
          } else if (!point) {
            points.set(key, { attributes: labelsOf(definition, values), value });
          } else {
            const number = point as NumberPoint;
            number.value = kind.type === 'sum' ? number.value + value : value;
          }
        }
      }
    }
  }
  const resourceMetrics: ResourceMetrics[] = [];
  for (const { resource, points } of byResource.values()) {
    const metrics: Metric[] = [];
    definitions.forEach((definition, m) => {
      const found = [...points[m]!.values()];
      if (found.length === 0) return;
      const { name, description, unit, kind } = definition;
      const data =
        kind.type === 'histogram'
          ? { type: 'histogram' as const, bounds: kind.bounds, points: found as HistogramPoint[] }
          : kind.type === 'sum'
            ? { type: 'sum' as const, monotonic: true, points: found as NumberPoint[] }
            : { type: 'gauge' as const, points: found as NumberPoint[] };
      metrics.push({ name, description, unit, data });
    });
    resourceMetrics.push({ resource, metrics });
  }
  return { resourceMetrics };
}

function labelsOf(definition: MetricDefinition, values: string[]): MetricAttributes {
  const labels: Record<string, string> = {};
  definition.attributes.forEach(({ key }, i) => (labels[key] = values[i]!));
  return labels;
}

/** Buckets are upper-inclusive, as OTel's explicit buckets and Prometheus' `le`. */
function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  return i;
}
