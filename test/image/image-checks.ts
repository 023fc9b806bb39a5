/** What the tiers check about a built image's files and layers, as lists of problems (empty = fine). */
import { readRepoFile } from '../deploy-checks/repo';
import { podman } from './podman';

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
}

/** Root dev dependencies that no workspace needs at run time: the runtime image must not hold them. */
export function devOnlyDependencies(): string[] {
  const root = JSON.parse(readRepoFile('package.json')) as Manifest;
  const runtime = new Set(
    (root.workspaces ?? []).flatMap((workspace) =>
      Object.keys((JSON.parse(readRepoFile(workspace, 'package.json')) as Manifest).dependencies ?? {}),
    ),
  );
  return Object.keys(root.devDependencies ?? {}).filter((name) => !runtime.has(name));
}

/** Every file under /app in the image, listed by the image's own `find`. */
export async function imageFiles(image: string): Promise<string[]> {
  const listed = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'find', image, '/app', '-type', 'f']);
  return listed.stdout.split('\n').filter((line) => line !== '');
}

export function contentProblems(files: readonly string[]): string[] {
  const problems: string[] = [];
  const own = files.filter((file) => file.startsWith('/app/packages/'));
  const sources = own.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  if (sources.length > 0) problems.push(`TypeScript sources: ${sources.slice(0, 3).join(', ')} (${sources.length} in all)`);
  const tests = own.filter((file) => /\/test\/|\.test\.js$/.test(file));
  if (tests.length > 0) problems.push(`tests: ${tests.slice(0, 3).join(', ')} (${tests.length} in all)`);
  const buildInfo = own.filter((file) => file.endsWith('.tsbuildinfo'));
  if (buildInfo.length > 0) problems.push(`build info: ${buildInfo.join(', ')}`);
  const installed = new Set(files.map((file) => /^\/app\/node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(file)?.[1]));
  const dev = devOnlyDependencies().filter((name) => installed.has(name));
  if (dev.length > 0) problems.push(`dev dependencies: ${dev.join(', ')}`);
  if (!files.includes('/app/packages/collector/bin/sluice.js')) problems.push('no collector entry point');
  return problems;
}

export interface Layer {
  size: number;
  createdBy: string;
}

/** The image's layers above its base image, newest first. */
export async function addedLayers(image: string, base: string): Promise<Layer[]> {
  const history = async (name: string) => {
    const out = await podman(['history', '--no-trunc', '--format', 'json', name]);
    return (JSON.parse(out.stdout) as { size: number; CreatedBy?: string; createdBy?: string }[]).map((h) => ({
      size: h.size,
      createdBy: (h.CreatedBy ?? h.createdBy ?? '').replace(/^\/bin\/sh -c (#\(nop\) )?/, ''),
    }));
  };
  const [mine, theirs] = await Promise.all([history(image), history(base)]);
  return mine.slice(0, mine.length - theirs.length);
}

export async function imageSize(image: string): Promise<number> {
  return Number((await podman(['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
}

export const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
