/**
 * Loading a config: read each file, merge them (later wins), expand env references, validate
 * every section, check what a start would refuse (files, extension references), and return the
 * config or every problem found, each located and coded.
 */
import { readFileSync } from 'node:fs';
import type { Registry } from '../registry';
import { validateComponents } from './components';
import { sortDiagnostics, type ConfigDiagnostic } from './diagnostics';
import { expandEnv } from './env-expansion';
import { diagnosticAt, formatPath, type ConfigNode, type MapNode } from './located';
import { mergeNodes } from './merge';
import { validateService } from './service-section';
import { checkStart } from './start-checks';
import { nearestName } from './suggest';
import type { LoadResult } from './types';
import { readYaml } from './yaml-source';

const TOP_LEVEL_KEYS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service'];

export interface LoadOptions {
  /** Where `${env:VAR}` is read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/** Reads and merges the files (later wins: maps merge, lists are replaced). Never throws for a user's mistake. */
export function loadConfigFiles(files: string[], registry: Registry, options: LoadOptions = {}): LoadResult {
  const diagnostics: ConfigDiagnostic[] = [];
  const roots: MapNode[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      diagnostics.push({ code: 'SLUICE_CONFIG_READ', severity: 'error', path: '', file, message: `cannot read the file (${reason})` });
      continue;
    }
    const source = readYaml(text, file);
    diagnostics.push(...source.diagnostics);
    if (source.root) roots.push(source.root);
  }
  if (files.length === 0) diagnostics.push({ code: 'SLUICE_CONFIG_READ', severity: 'error', path: '', message: 'no config file given' });
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics: sortDiagnostics(diagnostics, files) };
  return validateRoots(roots, registry, options, files, diagnostics);
}

/** The same as loadConfigFiles, from a string (tests, the built-in default config). */
export function loadConfigText(text: string, registry: Registry, options: LoadOptions & { file?: string } = {}): LoadResult {
  const source = readYaml(text, options.file);
  const files = options.file === undefined ? [] : [options.file];
  if (!source.root) return { diagnostics: sortDiagnostics(source.diagnostics, files) };
  return validateRoots([source.root], registry, options, files, source.diagnostics);
}

function validateRoots(
  roots: MapNode[],
  registry: Registry,
  options: LoadOptions,
  files: string[],
  diagnostics: ConfigDiagnostic[],
): LoadResult {
  const root = roots.reduce<ConfigNode>((merged, next) => mergeNodes(merged, next), roots[0]!) as MapNode;
  const expansion = expandEnv(root, options.env ?? process.env);
  diagnostics.push(...expansion.diagnostics, ...checkTopLevel(root));

  const components = validateComponents(root, registry);
  const service = validateService(root.entries.get('service'), root.pos, components);
  diagnostics.push(...components.diagnostics, ...service.diagnostics);

  // An unset variable is a warning, unless a key already failed because of it (that error says so).
  const failedPaths = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.path));
  for (const { path, node } of expansion.unset) {
    if (failedPaths.has(formatPath(path))) continue;
    const names = node.env!.unset.join(', ');
    diagnostics.push(
      diagnosticAt('SLUICE_CONFIG_ENV_UNSET', 'warning', path, node.pos, `environment variable ${names} is not set; it expanded to ""`),
    );
  }

  // Files and extension references are checked only once the config is well-formed, as a start would.
  if (service.service && !diagnostics.some((d) => d.severity === 'error'))
    diagnostics.push(...checkStart(root, components, service.service));

  const sorted = sortDiagnostics(diagnostics, files);
  if (sorted.some((d) => d.severity === 'error') || !service.service) return { diagnostics: sorted };
  const { receivers, processors, exporters, connectors, extensions } = components.components;
  return { config: { receivers, processors, exporters, connectors, extensions, service: service.service, files }, diagnostics: sorted };
}

function checkTopLevel(root: MapNode): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  for (const [key, { keyPos }] of root.entries) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      const suggestion = nearestName(key, TOP_LEVEL_KEYS);
      const message = suggestion
        ? `unknown key; did you mean ${suggestion}?`
        : `unknown key; valid keys here: ${TOP_LEVEL_KEYS.join(', ')}`;
      diagnostics.push(diagnosticAt('SLUICE_CONFIG_UNKNOWN_KEY', 'error', [key], keyPos, message));
    }
  }
  return diagnostics;
}
