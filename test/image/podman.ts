/**
 * podman for the image tiers: the settings file they run with, the stand-in base image, the image
 * builds, and the containers the tiers start (each removed again by `removeContainers`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { repoPath } from '../deploy-checks/repo';
import { RE2_MIRROR, re2MirrorBuildArgs } from './re2-mirror';

/** podman's settings for this machine kind (runc, cgroupfs, no rlimits), passed without touching the host's. */
export const podmanEnv: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: repoPath('test/image/containers.conf') };

export const COLLECTOR_IMAGE = 'localhost/sluice-collector:image-tier';
export const DEMO_IMAGE = 'localhost/sluice-demo:image-tier';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (without blocking the event loop); fails on a non-zero exit unless `allowFail`. */
export function run(
  command: string,
  args: readonly string[],
  options: { allowFail?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: options.env ?? podmanEnv, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (code !== 0 && !options.allowFail) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-4000)}`));
      } else resolve({ code, stdout, stderr });
    });
  });
}

export const podman = (args: readonly string[], options: { allowFail?: boolean } = {}) => run('podman', args, options);

/** Why the image tiers cannot run on this machine, or undefined when they can. */
export function podmanUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the stand-in base image is built with debootstrap, which needs root';
  for (const tool of ['podman', 'runc', 'debootstrap', 'docker-compose']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const info = spawnSync('podman', ['info'], { env: podmanEnv, encoding: 'utf8' });
  if (info.status !== 0) return `podman cannot work here: ${info.stderr.trim().split('\n').pop()}`;
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds since `start`, as the tiers print them. */
export const seconds = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)} s`;

let baseImage: Promise<string> | undefined;

/** The stand-in for node:*-bookworm-slim (see base-image.sh); built once per machine, then cached. */
export function standInBase(): Promise<string> {
  baseImage ??= run(repoPath('test/image/base-image.sh'), []).then((r) => r.stdout.trim().split('\n').pop()!);
  return baseImage;
}

/**
 * `podman build` of one Dockerfile target, as `docker build` would: Docker image format (OCI drops
 * HEALTHCHECK) and the host's network (for `npm ci` and apt inside the build), plus the host's re2
 * binary (see re2-mirror.ts). Says where the image's re2 came from.
 */
export async function buildImage(target: string, tag: string, dockerfile = repoPath('Dockerfile')): Promise<string> {
  const base = await standInBase();
  const built = await podman([
    'build',
    '--format',
    'docker',
    '--network',
    'host',
    '--build-arg',
    `NODE_IMAGE=${base}`,
    ...re2MirrorBuildArgs(),
    '--target',
    target,
    '--file',
    dockerfile,
    '--tag',
    tag,
    repoPath(),
  ]);
  return re2Source(built.stdout);
}

/** What re2's install script did, from the build's output (shown with --foreground-scripts). */
function re2Source(output: string): string {
  if (output.includes('Building locally')) return 're2 compiled in the build';
  if (!output.includes('Writing to build/Release/re2.node')) return 're2 from a cached layer';
  return output.includes(`Trying ${RE2_MIRROR}`) ? "re2 from the host's build, not compiled" : 're2 downloaded';
}

/** Runs the image's own HEALTHCHECK command once, as the engine would: true when healthy. */
export async function healthCheck(container: string): Promise<boolean> {
  return (await podman(['healthcheck', 'run', container], { allowFail: true })).code === 0;
}

/** podman runs health checks only from systemd timers: without systemd, the waiting side runs them. */
export async function waitHealthy(container: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await healthCheck(container))) {
    const running = (await podman(['inspect', '--format', '{{.State.Running}}', container])).stdout.trim() === 'true';
    if (!running || Date.now() > deadline) {
      const logs = await podman(['logs', container], { allowFail: true });
      throw new Error(`${container} not healthy (${running ? `after ${timeoutMs} ms` : 'exited'}):\n${logs.stdout}${logs.stderr}`);
    }
    await sleep(500);
  }
}

/** The host address a published container port answers on, e.g. 127.0.0.1:41617. */
export async function hostPort(container: string, port: number): Promise<string> {
  return (await podman(['port', container, `${port}/tcp`])).stdout.trim().split('\n')[0]!;
}

/** A volume's directory on the host (podman runs as root here, so it is a plain directory). */
export async function volumePath(volume: string): Promise<string> {
  return (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume])).stdout.trim();
}

export async function removeContainers(...names: string[]): Promise<void> {
  for (const name of names) await podman(['rm', '--force', '--time', '0', name], { allowFail: true });
}
