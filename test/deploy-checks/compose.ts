import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parseStages } from './dockerfile-rules';
import { isObject, type Json } from './repo';

/** Top-level keys Debian's docker-compose 1.29 rejects or that Compose v2 alone understands. */
const UNPORTABLE_TOP_LEVEL = ['name', 'include'];

export interface ComposeFile {
  path: string;
  doc: Json;
}

function services(compose: ComposeFile): [string, Json][] {
  return Object.entries(isObject(compose.doc.services) ? compose.doc.services : {}).filter((entry): entry is [string, Json] =>
    isObject(entry[1]),
  );
}

function listOrKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return isObject(value) ? Object.keys(value) : [];
}

/** A volume entry's source, in short (`src:dst[:mode]`) or long form. */
function volumeSource(entry: unknown): { source: string; target: string } | undefined {
  if (typeof entry === 'string') {
    const [source, target] = entry.split(':');
    return source === undefined || target === undefined ? undefined : { source, target };
  }
  if (isObject(entry) && typeof entry.source === 'string' && typeof entry.target === 'string') {
    return { source: entry.source, target: entry.target };
  }
  return undefined;
}

export function isBindMount(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

/**
 * Checks that everything a set of compose files (read together, as `-f a -f b`) refers to exists:
 * build contexts, Dockerfiles and their targets, bind-mounted files, named volumes, networks,
 * dependencies, and health checks behind `condition: service_healthy`.
 */
export function composeReferenceProblems(files: ComposeFile[]): string[] {
  const problems: string[] = [];
  const baseDir = dirname(files[0]!.path);
  const allServices = new Map<string, Json>();
  const volumes = new Set<string>();
  const networks = new Set<string>(['default']);
  for (const file of files) {
    for (const key of UNPORTABLE_TOP_LEVEL)
      if (key in file.doc) problems.push(`${file.path}: top-level "${key}:" is not accepted by docker-compose 1.29`);
    for (const [name, service] of services(file)) allServices.set(name, { ...(allServices.get(name) ?? {}), ...service });
    listOrKeys(file.doc.volumes).forEach((v) => volumes.add(v));
    listOrKeys(file.doc.networks).forEach((n) => networks.add(n));
  }

  for (const [name, service] of allServices) {
    const where = `service ${name}`;
    if (!('image' in service) && !('build' in service)) problems.push(`${where}: neither image nor build`);
    if (typeof service.image === 'string' && !('build' in service) && !/:[^/]+$/.test(service.image)) {
      problems.push(`${where}: image ${service.image} has no tag`);
    }
    if (typeof service.image === 'string' && service.image.endsWith(':latest')) problems.push(`${where}: image tag "latest"`);

    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    if (isObject(build)) {
      const context = join(baseDir, typeof build.context === 'string' ? build.context : '.');
      const dockerfile = join(context, typeof build.dockerfile === 'string' ? build.dockerfile : 'Dockerfile');
      if (!existsSync(dockerfile)) problems.push(`${where}: ${dockerfile} does not exist`);
      else if (typeof build.target === 'string') {
        const stages = parseStages(readFileSync(dockerfile, 'utf8')).map((s) => s.name);
        if (!stages.includes(build.target)) problems.push(`${where}: build target "${build.target}" is not a stage of ${dockerfile}`);
      }
    }

    for (const entry of Array.isArray(service.volumes) ? service.volumes : []) {
      const volume = volumeSource(entry);
      if (!volume) continue;
      if (isBindMount(volume.source)) {
        const source = isAbsolute(volume.source) ? volume.source : join(baseDir, volume.source);
        if (!existsSync(source)) problems.push(`${where}: bind-mounted ${volume.source} does not exist`);
      } else if (!volumes.has(volume.source)) {
        problems.push(`${where}: volume "${volume.source}" is not declared under top-level volumes`);
      }
    }

    for (const network of listOrKeys(service.networks)) {
      if (!networks.has(network)) problems.push(`${where}: network "${network}" is not declared`);
    }

    const dependsOn = service.depends_on;
    for (const dependency of listOrKeys(dependsOn)) {
      const target = allServices.get(dependency);
      if (!target) {
        problems.push(`${where}: depends on unknown service "${dependency}"`);
        continue;
      }
      const condition = isObject(dependsOn) && isObject(dependsOn[dependency]) ? dependsOn[dependency].condition : undefined;
      if (condition === 'service_healthy' && !isObject(target.healthcheck)) {
        problems.push(`${where}: waits for ${dependency} to be healthy, but ${dependency} has no healthcheck`);
      }
    }

    if (isObject(service.healthcheck) && 'start_interval' in service.healthcheck) {
      problems.push(`${where}: healthcheck.start_interval is not accepted by docker-compose 1.29`);
    }
  }
  return problems;
}

/** Published ports as `[host ip, host port, container port]`, resolving `${VAR:-default}` to the default. */
export function publishedPorts(service: Json): { hostIp: string | undefined; hostPort: string; containerPort: string }[] {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  return ports.map((entry) => {
    const resolved = String(entry).replace(/\$\{\w+:-([^}]*)\}/g, '$1');
    const parts = resolved.split(':');
    const [first = '', second = '', third = ''] = parts;
    if (parts.length === 3) return { hostIp: first, hostPort: second, containerPort: third };
    if (parts.length === 2) return { hostIp: undefined, hostPort: first, containerPort: second };
    return { hostIp: undefined, hostPort: '', containerPort: first };
  });
}
