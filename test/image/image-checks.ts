/** What the tiers check about a built image's files and layers, as lists of problems (empty = fine). */
import { readRepoFile } from '../deploy-checks/repo';
import { podman } from './podman';

/**
 * Packages the lockfile marks `dev`: only dev dependencies need them, so `npm prune --omit=dev`
 * must have removed them. (`devOptional` ones, dev dependencies that are also optional peers of a
 * workspace, e.g. pino for @sluice/sdk, are npm's to keep: `sdkPackages` covers those.)
 */
export function devOnlyPackages(): string[] {
  const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => entry.dev === true && /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.test(path))
    .map(([path]) => path.slice('node_modules/'.length));
}

/** The SDK and its optional peers (pino, winston): client-side, never loaded by the collector. */
export function sdkPackages(): string[] {
  const sdk = JSON.parse(readRepoFile('packages/sdk/package.json')) as { name: string; peerDependencies?: Record<string, string> };
  return [sdk.name, ...Object.keys(sdk.peerDependencies ?? {})];
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
  const dev = devOnlyPackages().filter((name) => installed.has(name));
  if (dev.length > 0) problems.push(`dev dependencies: ${dev.slice(0, 5).join(', ')} (${dev.length} in all)`);
  const sdk = sdkPackages().filter((name) => installed.has(name));
  if (own.some((file) => file.startsWith('/app/packages/sdk/'))) sdk.unshift('packages/sdk');
  if (sdk.length > 0) problems.push(`SDK packages: ${sdk.join(', ')}`);
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
