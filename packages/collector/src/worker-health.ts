import type { ExporterHealth } from '@sluice/core';
import type { HealthSnapshot } from './components/health-check';

const STATUS_RANK: Record<ExporterHealth['status'], number> = { ok: 0, degraded: 1, stopped: 2, failing: 3 };

/**
 * The health of `service.workers` pipeline processes as one collector's: ready when all `count`
 * answered ready; per exporter the counters summed, the worst status and the latest error.
 */
export function mergeHealth(snapshots: readonly HealthSnapshot[], count: number): HealthSnapshot {
  const ready = snapshots.length === count && snapshots.every((s) => s.ready);
  const since = snapshots.map((s) => s.readySince?.getTime() ?? 0);
  const exporters = new Map<string, ExporterHealth | null>();
  for (const snapshot of snapshots) {
    for (const [id, health] of snapshot.exporters) {
      const merged = exporters.get(id);
      exporters.set(id, merged && health ? mergeExporter(merged, health) : (merged ?? health));
    }
  }
  return { ready, readySince: ready ? new Date(Math.max(...since)) : undefined, exporters };
}

function mergeExporter(a: ExporterHealth, b: ExporterHealth): ExporterHealth {
  const latest = (b.last_error_time ?? '') > (a.last_error_time ?? '') ? b : a;
  const merged: Record<string, unknown> = { ...a, last_error: latest.last_error, last_error_time: latest.last_error_time };
  // Every count is summed, whatever counters an exporter adds.
  for (const [key, value] of Object.entries(b)) {
    if (typeof value === 'number' && typeof merged[key] === 'number') merged[key] = merged[key] + value;
  }
  merged.status = STATUS_RANK[b.status] > STATUS_RANK[a.status] ? b.status : a.status;
  return merged as unknown as ExporterHealth;
}
