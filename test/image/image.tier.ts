/**
 * Image tier: builds the Dockerfile's runtime and demo targets with podman on a stand-in base, then
 * runs the collector image as a user would: its own HEALTHCHECK, OTLP over gRPC and HTTP with the
 * token from the environment, JSONL in the volume, a read-only root filesystem, SIGTERM, and a
 * killed container whose persistent queue resumes on the same volume.
 * Run with `npm run test:image` (root, podman, debootstrap); `.ci/run` runs it when it can.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { parseStages, execForm } from '../deploy-checks/dockerfile-rules';
import { readRepoFile } from '../deploy-checks/repo';
import { flatten, readJsonlLogs, waitFor } from '../support/collector';
import { startLokiTestServer, type LokiTestServer } from '../support/loki';
import { exportOnce } from '../support/otlp';
import { addedLayers, contentProblems, devOnlyPackages, imageFiles, imageSize, megabytes, sdkPackages } from './image-checks';
import {
  COLLECTOR_IMAGE,
  DEMO_IMAGE,
  buildImage,
  healthCheck,
  hostPort,
  podman,
  podmanUnavailable,
  removeContainers,
  seconds,
  standInBase,
  volumePath,
  waitHealthy,
} from './podman';

const run = randomBytes(3).toString('hex');
const TOKEN = `image-tier-${randomBytes(8).toString('hex')}`;
/** slirp4netns with host loopback: the container reaches this host's 127.0.0.1 (the Loki test server) at 10.0.2.2. */
const NETWORK = 'slirp4netns:allow_host_loopback=true';
const BROKEN_IMAGE = `localhost/sluice-broken:${run}`;

/** Builds the runtime target from a scratch copy of the Dockerfile with one line replaced. */
async function buildBroken(line: string, replacement: string): Promise<void> {
  const dockerfile = readRepoFile('Dockerfile');
  assert.ok(dockerfile.includes(line), `the Dockerfile has no line ${line}`);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-broken-'));
  try {
    await writeFile(join(dir, 'Dockerfile'), dockerfile.replace(line, replacement));
    await buildImage('runtime', BROKEN_IMAGE, join(dir, 'Dockerfile'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts the collector image read-only, only the volume writable, ports published on random host ports. */
async function startCollector(name: string, volume: string, lokiEndpoint: string, image = COLLECTOR_IMAGE): Promise<void> {
  await podman([
    'run', '--detach', '--name', name,
    '--read-only', '--read-only-tmpfs=false',
    '--network', NETWORK,
    '--publish', '127.0.0.1::4317', '--publish', '127.0.0.1::4318',
    '--volume', `${volume}:/var/lib/sluice`,
    '--env', `SLUICE_TOKEN=${TOKEN}`, '--env', `LOKI_ENDPOINT=${lokiEndpoint}`,
    image,
  ]); // prettier-ignore
}

/** Files under `dir` (recursively) whose bytes contain `marker`. */
async function filesHolding(dir: string, marker: string): Promise<number> {
  let found = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (await readFile(join(entry.parentPath, entry.name))).includes(marker)) found++;
  }
  return found;
}

describe('image tier: the collector image under podman', function () {
  this.timeout(30 * 60_000);
  const first = `sluice-image-${run}`;
  const volume = `sluice-image-${run}`;
  const queueVolume = `sluice-queue-${run}`;
  let base: string;
  let loki: LokiTestServer | undefined;

  before(async function () {
    const why = podmanUnavailable();
    if (why) {
      console.log(`    image tier skipped: ${why}`);
      this.skip();
    }
    let start = Date.now();
    base = await standInBase();
    console.log(`    stand-in base image ${base}: ${seconds(start)}`);
    for (const [target, tag] of [
      ['runtime', COLLECTOR_IMAGE],
      ['demo', DEMO_IMAGE],
    ] as const) {
      start = Date.now();
      const re2 = await buildImage(target, tag);
      console.log(`    built target ${target}: ${seconds(start)} (${re2})`);
    }
  });

  after(async () => {
    await removeContainers(first, `${first}-q1`, `${first}-q2`, `${first}-broken`);
    await podman(['volume', 'rm', '--force', volume, queueVolume, `${volume}-broken`], { allowFail: true });
    await podman(['rmi', '--force', BROKEN_IMAGE], { allowFail: true });
    await loki?.close();
  });

  it('holds no dev dependencies, SDK, TypeScript sources or tests; prints its size', async () => {
    assert.ok(['typescript', 'mocha', 'eslint'].every((name) => devOnlyPackages().includes(name)));
    assert.ok(['@sluice/sdk', 'pino', 'winston'].every((name) => sdkPackages().includes(name)));
    assert.deepEqual(contentProblems(await imageFiles(COLLECTOR_IMAGE)), []);
    const layers = await addedLayers(COLLECTOR_IMAGE, base);
    const added = layers.reduce((sum, layer) => sum + layer.size, 0);
    console.log(`    image ${megabytes(await imageSize(COLLECTOR_IMAGE))}; the project's layers ${megabytes(added)}:`);
    for (const layer of layers.filter((l) => l.size > 0))
      console.log(`      ${megabytes(layer.size).padStart(9)}  ${layer.createdBy.slice(0, 90)}`);
  });

  it("loads re2, the processors' native regex engine, in both images", async () => {
    const probe = "const RE2 = require('re2'); process.exit(new RE2('a+b').test('xaab') ? 0 : 1)";
    for (const image of [COLLECTOR_IMAGE, DEMO_IMAGE]) {
      const result = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'node', image, '-e', probe], { allowFail: true });
      assert.equal(result.code, 0, `${image}: ${result.stderr}`);
    }
  });

  it("keeps the Dockerfile's HEALTHCHECK (Docker format) and it passes in a read-only container", async () => {
    const stages = parseStages(readRepoFile('Dockerfile'));
    const declared = execForm(stages[stages.length - 1]!.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args);
    const inspected = await podman(['image', 'inspect', '--format', '{{json .Config.Healthcheck.Test}}', COLLECTOR_IMAGE]);
    assert.deepEqual(JSON.parse(inspected.stdout), ['CMD', ...declared!]);
    await startCollector(first, volume, 'http://10.0.2.2:9/loki/api/v1/push');
    await waitHealthy(first);
    assert.equal(await healthCheck(first), true);
    const config = await podman(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}', first]);
    assert.equal(config.stdout.trim(), 'true 1000:1000');
  });

  it('accepts OTLP over gRPC and HTTP with the bearer token from the environment, and refuses it without', async () => {
    const grpcAddress = await hostPort(first, 4317);
    const httpAddress = await hostPort(first, 4318);
    const metadata = (token?: string) => {
      const m = new grpc.Metadata();
      if (token) m.set('authorization', `Bearer ${token}`);
      return m;
    };
    const viaGrpc = (token?: string) => new GrpcExporter({ url: `http://${grpcAddress}`, metadata: metadata(token) });
    const viaHttp = (token?: string) =>
      new HttpExporter({ url: `http://${httpAddress}/v1/logs`, headers: token ? { Authorization: `Bearer ${token}` } : {} });
    const exporters = [viaGrpc(TOKEN), viaHttp(TOKEN), viaGrpc(), viaHttp('wrong-token')];
    try {
      assert.equal((await exportOnce(exporters[0]!, `grpc-${run}`)).code, 0);
      assert.equal((await exportOnce(exporters[1]!, `http-${run}`)).code, 0);
      assert.notEqual((await exportOnce(exporters[2]!, `grpc-anonymous-${run}`)).code, 0);
      assert.notEqual((await exportOnce(exporters[3]!, `http-wrong-${run}`)).code, 0);
    } finally {
      await Promise.all(exporters.map((e) => e.shutdown()));
    }
  });

  it('writes JSONL into the volume, owned by uid 1000', async () => {
    const jsonl = join(await volumePath(volume), 'logs', 'logs.jsonl');
    const bodies = await waitFor(
      async () => {
        const found = flatten(await readJsonlLogs(jsonl)).map((r) => (typeof r.record.body === 'string' ? r.record.body : ''));
        return found.includes(`grpc-${run}`) && found.includes(`http-${run}`) ? found : undefined;
      },
      30_000,
      'both records in the JSONL',
    );
    assert.ok(!bodies.some((b) => b.includes('anonymous') || b.includes('wrong')), 'a refused record was written');
    for (const path of [await volumePath(volume), jsonl]) assert.equal((await stat(path)).uid, 1000, `${path} owner`);
  });

  it('has a read-only root filesystem: only the volume is writable', async () => {
    const write = (path: string) =>
      podman(['exec', first, 'node', '-e', `require('fs').writeFileSync('${path}', 'x')`], { allowFail: true });
    for (const path of ['/app/x', '/tmp/x', '/etc/sluice/x', '/home/node/x']) {
      const result = await write(path);
      assert.notEqual(result.code, 0, `${path} is writable`);
      assert.match(result.stderr, /EROFS/, path);
    }
    assert.equal((await write('/var/lib/sluice/x')).code, 0);
  });

  it('exits cleanly on SIGTERM within the grace period', async () => {
    const start = Date.now();
    await podman(['stop', '--time', '40', first]);
    const state = await podman(['inspect', '--format', '{{.State.ExitCode}}', first]);
    // 137 would be the SIGKILL that ends the grace period.
    assert.equal(state.stdout.trim(), '0', (await podman(['logs', first])).stderr);
    console.log(`    stopped with exit code 0 in ${seconds(start)} (grace period 40 s)`);
  });

  it('after `podman kill`, a new container on the same volume delivers the queued records once Loki comes up', async () => {
    loki = await startLokiTestServer({ authEnabled: false });
    await loki.fail('down');
    const endpoint = `http://10.0.2.2:${loki.port}/loki/api/v1/push`;
    await startCollector(`${first}-q1`, queueVolume, endpoint);
    await waitHealthy(`${first}-q1`);
    const exporter = new HttpExporter({
      url: `http://${await hostPort(`${first}-q1`, 4318)}/v1/logs`,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const body = `queued-${run}`;
    assert.equal((await exportOnce(exporter, body)).code, 0);
    await exporter.shutdown();
    const dir = await volumePath(queueVolume);
    await waitFor(
      async () => ((await filesHolding(join(dir, 'queue'), body)) > 0 ? true : undefined),
      30_000,
      'the record in the on-disk queue',
    );

    await podman(['kill', `${first}-q1`]);
    await startCollector(`${first}-q2`, queueVolume, endpoint);
    await waitHealthy(`${first}-q2`);
    assert.equal(loki.entries().length, 0);
    const start = Date.now();
    await loki.recover();
    const entries = await waitFor(
      () => (loki!.entries().some((e) => e.line.includes(body)) ? loki!.entries() : undefined),
      120_000,
      'the queued record in Loki',
    );
    console.log(`    delivered ${entries.length} queued record(s) ${seconds(start)} after Loki came up`);
  });

  describe('the checks can fail: a scratch copy of the Dockerfile with one line broken', () => {
    it('a HEALTHCHECK naming a missing script leaves a serving collector unhealthy', async () => {
      await buildBroken('collector/bin/healthcheck.js', 'collector/bin/missing.js');
      const name = `${first}-broken`;
      await startCollector(name, `${volume}-broken`, 'http://10.0.2.2:9/loki/api/v1/push', BROKEN_IMAGE);
      await waitFor(
        async () => ((await podman(['logs', name])).stdout.includes('logs →') ? true : undefined),
        60_000,
        'the collector serving',
      );
      assert.equal(await healthCheck(name), false);
      await removeContainers(name);
    });

    it('copying packages from the build stage instead of the pruned one puts TypeScript sources in the image', async () => {
      await buildBroken('COPY --from=prune /app/packages/ packages/', 'COPY --from=build /app/packages/ packages/');
      const problems = contentProblems(await imageFiles(BROKEN_IMAGE)).join('\n');
      assert.match(problems, /TypeScript sources/);
    });

    it('the contents check names dev dependencies, SDK packages and tests in a file list', () => {
      const files = [
        '/app/packages/collector/bin/sluice.js',
        '/app/node_modules/typescript/package.json',
        '/app/node_modules/pino/package.json',
        '/app/packages/sdk/dist/src/index.js',
        '/app/packages/core/dist/test/a.test.js',
      ];
      const problems = contentProblems(files).join('\n');
      assert.match(problems, /dev dependencies: typescript/);
      assert.match(problems, /SDK packages: packages\/sdk, pino/);
      assert.match(problems, /tests: /);
    });
  });
});
