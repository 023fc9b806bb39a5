import type { MetricAttributes, MetricsData } from '@sluice/core';
import { labelName, metricName, type NameOptions } from './prometheus-names';

type FamilyType = 'counter' | 'gauge' | 'histogram';

interface Series {
  labels: string;
  value: number;
  sum: number;
  /** Histograms: per-bucket counts (not cumulative), the last for +Inf. */
  buckets: number[];
}

interface Family {
  type: FamilyType;
  help: string;
  bounds: readonly number[];
  series: Map<string, Series>;
}

export interface StoreOptions extends NameOptions {
  constLabels: Readonly<Record<string, string>>;
  resourceToLabels: boolean;
  maxSeriesPerMetric: number;
  /** A point refused because its metric already has maxSeriesPerMetric series, or because it changed type. */
  onDropped(metric: string, reason: 'series_limit' | 'type_conflict'): void;
}

/**
 * The cumulative state Prometheus scrapes: delta sums and histograms add up, gauges keep the
 * last value. Each metric holds at most `maxSeriesPerMetric` series; a point that would add one
 * more is dropped and counted, so one exploding label cannot take the collector's memory.
 */
export class CumulativeStore {
  private readonly families = new Map<string, Family>();

  constructor(private readonly options: StoreOptions) {}

  add(metrics: MetricsData): void {
    for (const { resource, metrics: list } of metrics.resourceMetrics) {
      for (const metric of list) {
        const data = metric.data;
        const type: FamilyType = data.type === 'sum' ? (data.monotonic ? 'counter' : 'gauge') : data.type;
        const name = metricName(metric.name, metric.unit, type, this.options);
        const bounds = data.type === 'histogram' ? data.bounds : [];
        let family = this.families.get(name);
        if (!family) {
          family = { type, help: metric.description, bounds, series: new Map() };
          this.families.set(name, family);
        } else if (family.type !== type || !sameBounds(family.bounds, bounds)) {
          this.options.onDropped(name, 'type_conflict');
          continue;
        }
        for (const point of data.points) {
          const series = this.series(family, name, resource, point.attributes);
          if (!series) continue;
          if ('count' in point) {
            series.value += point.count;
            series.sum += point.sum;
            point.bucketCounts.forEach((count, i) => (series.buckets[i]! += count));
          } else {
            series.value = type === 'counter' ? series.value + point.value : point.value;
          }
        }
      }
    }
  }

  /** The Prometheus text exposition (format 0.0.4). */
  exposition(): string {
    const lines: string[] = [];
    for (const [name, family] of this.families) {
      if (family.series.size === 0) continue;
      if (family.help !== '') lines.push(`# HELP ${name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      lines.push(`# TYPE ${name} ${family.type}`);
      for (const series of family.series.values()) {
        if (family.type !== 'histogram') {
          lines.push(`${name}${braces(series.labels)} ${formatNumber(series.value)}`);
          continue;
        }
        let cumulative = 0;
        family.bounds.forEach((bound, i) => {
          cumulative += series.buckets[i]!;
          lines.push(`${name}_bucket${braces(join(series.labels, `le="${formatNumber(bound)}"`))} ${cumulative}`);
        });
        lines.push(`${name}_bucket${braces(join(series.labels, 'le="+Inf"'))} ${series.value}`);
        lines.push(`${name}_sum${braces(series.labels)} ${formatNumber(series.sum)}`);
        lines.push(`${name}_count${braces(series.labels)} ${series.value}`);
      }
    }
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
  }

  private series(family: Family, name: string, resource: MetricAttributes, attributes: MetricAttributes): Series | undefined {
    const labels = new Map<string, string>();
    const set = (key: string, value: string) => {
      const label = labelName(key);
      // Prometheus refuses the whole scrape over an empty or reserved (`__`) name or a histogram's own `le`: such keys (a sender's) are left out.
      if (label !== '' && !label.startsWith('__') && !(family.type === 'histogram' && label === 'le')) labels.set(label, value);
    };
    for (const [key, value] of Object.entries(this.options.constLabels)) set(key, value);
    if (this.options.resourceToLabels) for (const [key, value] of Object.entries(resource)) set(key, value);
    for (const [key, value] of Object.entries(attributes)) set(key, value);
    const text = [...labels]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => `${key}="${escapeLabelValue(value)}"`)
      .join(',');
    let series = family.series.get(text);
    if (series) return series;
    if (family.series.size >= this.options.maxSeriesPerMetric) {
      this.options.onDropped(name, 'series_limit');
      return undefined;
    }
    series = { labels: text, value: 0, sum: 0, buckets: new Array<number>(family.bounds.length + 1).fill(0) };
    family.series.set(text, series);
    return series;
  }
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function join(labels: string, extra: string): string {
  return labels === '' ? extra : `${labels},${extra}`;
}

function braces(labels: string): string {
  return labels === '' ? '' : `{${labels}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
