/**
 * Splits a request by routing key into one request per backend. Resources (and, for `traceID`,
 * scopes) are shared with the original, never copied; a request that goes to one backend whole
 * is passed on as it is.
 *
 * - `service`: the resource's `service.name`;
 * - `resource`: all the resource's attributes;
 * - `traceID`: each record's trace id (a record without one goes by its service, so that untraced
 *   logs do not all land on one backend).
 */
import { anyValueToString, getAttribute, type LogRecord, type LogsData, type ResourceLogs, type ScopeLogs } from '@sluice/pdata';
import type { RoutingKey } from './config';

export function serviceKey(resourceLogs: ResourceLogs): string {
  const name = getAttribute(resourceLogs.resource.attributes, 'service.name');
  return name === undefined ? '' : anyValueToString(name);
}

/** Attributes sorted by key, so that the same resource listed in another order goes to the same backend. */
function resourceKey(resourceLogs: ResourceLogs): string {
  return resourceLogs.resource.attributes
    .map(({ key, value }) => `${key}=${anyValueToString(value)}`)
    .sort()
    .join('\u0000');
}

/**
 * `pick` maps a routing key to its backend. Returns the requests by backend, or undefined when
 * `pick` found no backend for some key.
 */
export function splitByKey<B>(logs: LogsData, routingKey: RoutingKey, pick: (key: string) => B | undefined): Map<B, LogsData> | undefined {
  return routingKey === 'traceID'
    ? splitByTrace(logs, pick)
    : splitByResource(logs, routingKey === 'service' ? serviceKey : resourceKey, pick);
}

function splitByResource<B>(
  logs: LogsData,
  keyOf: (resourceLogs: ResourceLogs) => string,
  pick: (key: string) => B | undefined,
): Map<B, LogsData> | undefined {
  const out = new Map<B, LogsData>();
  for (const resourceLogs of logs.resourceLogs) {
    const backend = pick(keyOf(resourceLogs));
    if (backend === undefined) return undefined;
    let part = out.get(backend);
    if (!part) out.set(backend, (part = { resourceLogs: [] }));
    part.resourceLogs.push(resourceLogs);
  }
  return single(out, logs);
}

function splitByTrace<B>(logs: LogsData, pick: (key: string) => B | undefined): Map<B, LogsData> | undefined {
  const out = new Map<B, LogsData>();
  for (const resourceLogs of logs.resourceLogs) {
    const service = serviceKey(resourceLogs);
    // Per backend: this resource's copy holding only that backend's records, scope by scope.
    const resourceParts = new Map<B, ResourceLogs>();
    for (const scopeLogs of resourceLogs.scopeLogs) {
      const scopeParts = new Map<B, ScopeLogs>();
      for (const record of scopeLogs.logRecords) {
        const backend = pick(record.traceId || service);
        if (backend === undefined) return undefined;
        let scopePart = scopeParts.get(backend);
        if (!scopePart) {
          scopePart = { ...scopeLogs, logRecords: [] as LogRecord[] };
          scopeParts.set(backend, scopePart);
          let resourcePart = resourceParts.get(backend);
          if (!resourcePart) resourceParts.set(backend, (resourcePart = { ...resourceLogs, scopeLogs: [] }));
          resourcePart.scopeLogs.push(scopePart);
        }
        scopePart.logRecords.push(record);
      }
    }
    for (const [backend, resourcePart] of resourceParts) {
      let part = out.get(backend);
      if (!part) out.set(backend, (part = { resourceLogs: [] }));
      part.resourceLogs.push(resourcePart);
    }
  }
  return single(out, logs);
}

/** One backend for everything: the original request, not a rebuilt one. */
function single<B>(parts: Map<B, LogsData>, logs: LogsData): Map<B, LogsData> {
  if (parts.size !== 1) return parts;
  const [backend] = parts.keys();
  return new Map([[backend!, logs]]);
}
