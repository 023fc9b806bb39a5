/**
 * Splits a batch by destination file. Resources and scopes are shared with the input, not
 * copied: a file's LogsData holds new ResourceLogs/ScopeLogs shells around the same objects, and
 * a record is only pushed into its file's array. When every record of a resource goes to one file
 * (a resource-only template), the ResourceLogs itself is reused.
 */
import {
  anyValueToString,
  countLogRecords,
  getAttribute,
  type LogRecord,
  type LogsData,
  type ResourceLogs,
  type ScopeLogs,
} from '@sluice/pdata';
import { groupPath } from './group-path';
import type { PathTemplate } from './path-template';

export interface Routed {
  files: Map<string, LogsData>;
  /** Records without a value for the route and no default. */
  dropped: number;
}

/** otelcol's group_by: the `*` in the path becomes the resource attribute's value. */
export function routeByResourceAttribute(logs: LogsData, path: string, attribute: string): Routed {
  const files = new Map<string, LogsData>();
  let dropped = 0;
  for (const resourceLogs of logs.resourceLogs) {
    const value = getAttribute(resourceLogs.resource.attributes, attribute);
    const text = value === undefined ? '' : anyValueToString(value);
    if (text === '') dropped += countLogRecords({ resourceLogs: [resourceLogs] });
    else addResource(files, groupPath(path, text), resourceLogs);
  }
  return { files, dropped };
}

export function routeByTemplate(logs: LogsData, template: PathTemplate): Routed {
  return template.perRecord ? routePerRecord(logs, template) : routePerResource(logs, template);
}

function routePerResource(logs: LogsData, template: PathTemplate): Routed {
  const files = new Map<string, LogsData>();
  let dropped = 0;
  for (const resourceLogs of logs.resourceLogs) {
    const path = template.resolve(resourceLogs.resource.attributes, []);
    if (path === undefined) dropped += countLogRecords({ resourceLogs: [resourceLogs] });
    else addResource(files, path, resourceLogs);
  }
  return { files, dropped };
}

function addResource(files: Map<string, LogsData>, path: string, resourceLogs: ResourceLogs): void {
  const file = files.get(path);
  if (file) file.resourceLogs.push(resourceLogs);
  else files.set(path, { resourceLogs: [resourceLogs] });
}

/** A file's batch under construction: the shells of the resource and scope it was last given records of. */
interface Building {
  logs: LogsData;
  source: ScopeLogs | undefined;
  sourceResource: ResourceLogs | undefined;
  records: LogRecord[];
}

function routePerRecord(logs: LogsData, template: PathTemplate): Routed {
  const building = new Map<string, Building>();
  let dropped = 0;
  for (const resourceLogs of logs.resourceLogs) {
    const resource = resourceLogs.resource.attributes;
    for (const scopeLogs of resourceLogs.scopeLogs) {
      // Neighbouring records usually share a file: look it up again only when the path changes.
      let lastPath: string | undefined;
      let target: LogRecord[] | undefined;
      for (const record of scopeLogs.logRecords) {
        const path = template.resolve(resource, record.attributes);
        if (path === undefined) {
          dropped++;
          continue;
        }
        if (path !== lastPath) {
          target = recordsFor(building, path, resourceLogs, scopeLogs);
          lastPath = path;
        }
        target!.push(record);
      }
    }
  }
  const files = new Map<string, LogsData>();
  for (const [path, file] of building) files.set(path, file.logs);
  return { files, dropped };
}

function recordsFor(building: Map<string, Building>, path: string, resourceLogs: ResourceLogs, scopeLogs: ScopeLogs): LogRecord[] {
  let file = building.get(path);
  if (!file) {
    file = { logs: { resourceLogs: [] }, source: undefined, sourceResource: undefined, records: [] };
    building.set(path, file);
  }
  if (file.source === scopeLogs) return file.records;
  if (file.sourceResource !== resourceLogs) {
    file.logs.resourceLogs.push({ resource: resourceLogs.resource, scopeLogs: [], schemaUrl: resourceLogs.schemaUrl });
    file.sourceResource = resourceLogs;
  }
  file.records = [];
  file.logs.resourceLogs[file.logs.resourceLogs.length - 1]!.scopeLogs.push({
    scope: scopeLogs.scope,
    logRecords: file.records,
    schemaUrl: scopeLogs.schemaUrl,
  });
  file.source = scopeLogs;
  return file.records;
}
