/**
 * Everything a start would refuse, short of binding ports and connecting: extensions that
 * `auth.authenticator` (of a receiver, exporter or listening extension) and `sending_queue.storage`
 * name (configured, started, of the right role), the files `tls` blocks name, and each factory's own `checkStart`. Loading runs it, so
 * `sluice validate` and a start refuse the same configs with the same located errors.
 */
import type { ComponentKind, ExtensionRole, StartProblem } from '../component';
import type { ComponentSection, ComponentsResult } from './components';
import type { ConfigDiagnostic } from './diagnostics';
import { diagnosticAt, locate, type MapNode, type PathSegment } from './located';
import { checkTlsFiles, type TlsFileSettings } from '../tls/tls-start-checks';
import type { ServiceConfig } from './types';

const ROLE_NAMES: Record<ExtensionRole, string> = {
  server_authenticator: 'a server authenticator (it cannot check incoming requests)',
  client_authenticator: 'a client authenticator (it cannot add credentials to outgoing requests)',
  storage: 'a storage extension',
};

/** Only what the service starts is checked: an unused component is never started (and is warned about). */
export function checkStart(root: MapNode, components: ComponentsResult, service: ServiceConfig): ConfigDiagnostic[] {
  const started: Record<ComponentSection, Set<string>> = {
    receivers: new Set(service.pipelines.filter((p) => p.signal === 'logs').flatMap((p) => p.receivers)),
    processors: new Set(service.pipelines.flatMap((p) => p.processors)),
    // A logs pipeline's exporters list names connectors too; they are checked as connectors.
    exporters: new Set(service.pipelines.flatMap((p) => p.exporters).filter((id) => components.components.exporters.has(id))),
    connectors: new Set(service.pipelines.filter((p) => p.signal === 'metrics').flatMap((p) => p.receivers)),
    extensions: new Set(service.extensions),
  };
  const diagnostics: ConfigDiagnostic[] = [];
  for (const section of Object.keys(started) as ComponentSection[]) {
    for (const id of started[section]) {
      const component = components.components[section].get(id)!;
      const { keyPos, value } = (root.entries.get(section)!.value as MapNode).entries.get(id)!;
      const problems = [
        ...sharedBlockProblems(component.kind, component.config, components, started.extensions),
        ...(component.factory.checkStart?.(component.config) ?? []),
      ];
      for (const { path, code, message } of problems) {
        diagnostics.push(diagnosticAt(code, 'error', [section, id, ...path], locate(value, keyPos, path).pos, message));
      }
    }
  }
  return diagnostics;
}

/**
 * The blocks core's schema building blocks define, found by the keys otelcol gives them in
 * every component: `auth`, `tls`, `sending_queue.storage`.
 */
function sharedBlockProblems(
  kind: ComponentKind,
  config: unknown,
  components: ComponentsResult,
  startedExtensions: Set<string>,
): StartProblem[] {
  if (kind === 'processor') return [];
  // Receivers and extensions that listen (file_admin) check incoming requests; exporters send.
  const side = kind === 'exporter' ? 'client' : 'server';
  const problems: StartProblem[] = [];
  const reference = (id: string, path: PathSegment[], role: ExtensionRole) => {
    const problem = extensionProblem(id, role, components, startedExtensions);
    if (problem) problems.push({ ...problem, path });
  };
  const visit = (value: unknown, path: PathSegment[]) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const at = [...path, key];
      if (key === 'auth' && typeof (child as { authenticator?: unknown })?.authenticator === 'string') {
        reference(
          (child as { authenticator: string }).authenticator,
          [...at, 'authenticator'],
          side === 'server' ? 'server_authenticator' : 'client_authenticator',
        );
      } else if (key === 'tls' && child !== null && typeof child === 'object') {
        for (const problem of checkTlsFiles(child as TlsFileSettings, side)) problems.push({ ...problem, path: [...at, ...problem.path] });
      } else if (key === 'sending_queue') {
        const queue = child as { enabled?: boolean; storage?: string };
        if (queue.enabled !== false && queue.storage !== undefined) reference(queue.storage, [...at, 'storage'], 'storage');
      } else {
        visit(child, at);
      }
    }
  };
  visit(config, []);
  return problems;
}

function extensionProblem(
  id: string,
  role: ExtensionRole,
  components: ComponentsResult,
  startedExtensions: Set<string>,
): Omit<StartProblem, 'path'> | undefined {
  const extension = components.components.extensions.get(id);
  if (!extension) {
    return { code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT', message: `extension "${id}" is not configured under extensions` };
  }
  if (!startedExtensions.has(id)) {
    return {
      code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      message: `extension "${id}" is not listed in service.extensions, so it does not start`,
    };
  }
  const factory = extension.factory;
  if (factory.kind !== 'extension' || !(factory.provides ?? []).includes(role)) {
    return { code: 'SLUICE_CONFIG_INVALID_VALUE', message: `extension "${id}" (${factory.type}) is not ${ROLE_NAMES[role]}` };
  }
  return undefined;
}
