/**
 * The host's own re2 binary, offered to the image build so that `npm ci` there does not compile
 * re2 from source (minutes on two cores; its GitHub download is out of reach here). re2's install
 * script (install-from-cache) first fetches
 * `$RE2_DOWNLOAD_MIRROR/<owner>/<repo>/releases/download/<version>/<platform>-<arch>-<abi>` (after
 * its `.br` and `.gz` forms), and a mirror may be a path: the binary is bind-mounted there for the
 * build only. The stand-in base runs this machine's node, so the ABI is the host's; re2's own
 * verify-build still loads the binary, and compiles when it does not load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { repoPath } from '../deploy-checks/repo';

/**
 * Where the build sees the mirror. A fixed path rather than a local HTTP server on a free port:
 * build arguments are part of the layer cache key, and a port would change it on every run.
 */
export const RE2_MIRROR = '/tmp/re2-mirror';

/** The asset path under the mirror for the host's re2, or undefined when the host has none built. */
function hostAsset(): { binary: string; asset: string } | undefined {
  const re2 = repoPath('node_modules/re2');
  const binary = `${re2}/build/Release/re2.node`;
  if (!existsSync(binary)) return undefined;
  const pkg = JSON.parse(readFileSync(`${re2}/package.json`, 'utf8')) as { version: string; github: string };
  const slot = `${process.platform}-${process.arch}-${process.versions.modules}`;
  return { binary, asset: `${new URL(pkg.github).pathname}/releases/download/${pkg.version}/${slot}` };
}

/** The mirror's build argument value: RE2_MIRROR when the host has a re2 binary, else empty (download or compile). */
export function re2MirrorArg(): string {
  return hostAsset() ? RE2_MIRROR : '';
}

/** `podman build` arguments that mount the host's re2 binary where install-from-cache looks for it. */
export function re2MirrorBuildArgs(): string[] {
  const host = hostAsset();
  if (!host) return [];
  return ['--volume', `${host.binary}:${RE2_MIRROR}${host.asset}:ro`, '--build-arg', `RE2_DOWNLOAD_MIRROR=${RE2_MIRROR}`];
}
