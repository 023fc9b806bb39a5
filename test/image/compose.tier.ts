/**
 * Compose tier: `docker-compose up` of the collector and the demo (the services whose images build
 * here) through podman's Docker-compatible API, with an override that only swaps the base image.
 * The demo's logs must reach the collector's JSONL with trace ids, after `depends_on:
 * service_healthy` let the demo start. Run with `npm run test:image`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../deploy-checks/repo';
import { flatten, readJsonlLogs, waitFor } from '../support/collector';
import {
  COLLECTOR_IMAGE,
  DEMO_IMAGE,
  buildImage,
  healthCheck,
  podman,
  podmanEnv,
  podmanUnavailable,
  run,
  seconds,
  standInBase,
  volumePath,
} from './podman';
import { re2MirrorArg } from './re2-mirror';

const project = `sluice-compose-${randomBytes(3).toString('hex')}`;
const socket = `/tmp/${project}.sock`;
const files = ['-f', repoPath('docker-compose.yml'), '-f', repoPath('test/image/compose.stand-in-base.yml')];

describe('compose tier: collector and demo with docker-compose through podman', function () {
  this.timeout(30 * 60_000);
  let service: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const compose = (args: string[], options: { allowFail?: boolean } = {}) =>
    run('docker-compose', [...files, '--project-name', project, ...args], { ...options, env });

  before(async function () {
    const why = podmanUnavailable();
    if (why) {
      console.log(`    compose tier skipped: ${why}`);
      this.skip();
    }
    // docker-compose 1.29 speaks the Docker API; podman serves it on a unix socket.
    service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env: podmanEnv, stdio: 'ignore' });
    await waitFor(() => (existsSync(socket) ? true : undefined), 30_000, 'the podman API socket');
    const start = Date.now();
    const base = await standInBase();
    console.log(`    stand-in base image ${base}: ${seconds(start)}`);
    env = {
      ...podmanEnv,
      DOCKER_HOST: `unix://${socket}`,
      SLUICE_NODE_IMAGE: base,
      SLUICE_RE2_MIRROR: re2MirrorArg(),
      SLUICE_TOKEN: `compose-tier-${randomBytes(8).toString('hex')}`,
    };
  });

  after(async () => {
    if (env) await compose(['down', '--volumes', '--timeout', '40'], { allowFail: true });
    service?.kill('SIGTERM');
  });

  it('builds the collector and demo images through the compose file', async () => {
    // podman builds them first, with the host's re2 mounted (the Docker API that compose speaks
    // takes no build mounts); compose then builds the same layers from its own file, from the cache.
    let start = Date.now();
    for (const [target, tag] of [
      ['runtime', COLLECTOR_IMAGE],
      ['demo', DEMO_IMAGE],
    ] as const) {
      console.log(`    podman build target ${target}: ${await buildImage(target, tag)}, ${seconds(start)}`);
      start = Date.now();
    }
    await compose(['build', 'collector', 'demo']);
    console.log(`    docker-compose build: ${seconds(start)}`);
  });

  it('starts the demo once the collector is healthy (podman runs the health check only when asked)', async () => {
    const start = Date.now();
    const up = compose(['up', '--detach', '--no-build', 'collector', 'demo']);
    const collector = `${project}_collector_1`;
    let upDone = false;
    void up.finally(() => (upDone = true)).catch(() => undefined);
    // compose waits on the health status; without systemd timers, this loop is what updates it.
    while (!upDone) {
      const exists = (await podman(['container', 'exists', collector], { allowFail: true })).code === 0;
      if (exists) await healthCheck(collector);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await up;
    const state = await podman(['inspect', '--format', '{{.State.Health.Status}} {{.Config.User}}', collector]);
    assert.equal(state.stdout.trim(), 'healthy 1000:1000');
    const demo = await podman(['inspect', '--format', '{{.State.Running}}', `${project}_demo_1`]);
    assert.equal(demo.stdout.trim(), 'true');
    console.log(`    docker-compose up (collector healthy, then demo): ${seconds(start)}`);
  });

  it("delivers the demo's logs, with trace ids, to the collector's JSONL", async () => {
    const jsonl = join(await volumePath(`${project}_sluice-data`), 'logs', 'logs.jsonl');
    const records = await waitFor(
      async () => {
        const found = flatten(await readJsonlLogs(jsonl)).filter((r) =>
          r.resource.attributes.some((a) => a.key === 'service.name' && a.value === 'checkout'),
        );
        return found.length >= 5 ? found : undefined;
      },
      60_000,
      'demo records from service "checkout"',
    );
    const traced = records.filter((r) => /^[0-9a-f]{32}$/.test(r.record.traceId) && !/^0+$/.test(r.record.traceId));
    assert.ok(traced.length > 0, `no record with a trace id among ${records.length}`);
    console.log(`    ${records.length} demo records in the JSONL, ${traced.length} with trace ids`);
  });

  it('stops the demo, then the collector, on SIGTERM: neither is killed at the end of its stop_grace_period', async () => {
    for (const service of ['demo', 'collector']) {
      const start = Date.now();
      await compose(['stop', service]);
      const container = `${project}_${service}_1`;
      const code = (await podman(['inspect', '--format', '{{.State.ExitCode}}', container])).stdout.trim();
      const stderr = (await podman(['logs', container], { allowFail: true })).stderr;
      console.log(`    docker-compose stop ${service}: exit code ${code} in ${seconds(start)}`);
      // 137 would be the SIGKILL that ends the grace period.
      assert.equal(code, '0', `${service}:\n${stderr.slice(-2000)}`);
    }
  });
});
