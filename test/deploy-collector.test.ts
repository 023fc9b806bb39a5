import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockerConfig } from './deploy-checks/collector';
import type { ChildCollector } from './support/child-collector';
import { execForm, parseStages } from './deploy-checks/dockerfile-rules';
import { readRepoFile, repoRoot } from './deploy-checks/repo';

/** The image's HEALTHCHECK command, run from the repository (the image's /app) and pointed at `url`. */
function runImageHealthcheck(url: string): number | null {
  const stages = parseStages(readRepoFile('Dockerfile'));
  const health = stages[stages.length - 1]!.instructions.find((i) => i.keyword === 'HEALTHCHECK');
  const command = execForm(health!.args)!;
  const [program, ...args] = command.map((arg) => arg.replace('http://127.0.0.1:13133/', url).replace(/^\/app\//, `${repoRoot}/`));
  assert.equal(program, 'node');
  return spawnSync(process.execPath, args, { timeout: 15_000 }).status;
}

describe('deploy: configs/docker.yaml in a running collector', () => {
  let dir: string;
  let collector: ChildCollector;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-docker-config-'));
    collector = await startDockerConfig(dir);
  });

  after(async () => {
    await collector?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts with Loki unreachable, serving OTLP, metrics and health', () => {
    for (const label of ['otlp/grpc', 'otlp/http', 'metrics', 'health_check']) {
      assert.ok(label in collector.endpoints, `no ${label} address in:\n${collector.output()}`);
    }
  });

  it("the image's HEALTHCHECK command passes against the health endpoint", () => {
    const url = `http://${collector.endpoints.health_check}/`;
    assert.equal(runImageHealthcheck(url), 0);
  });

  it('stops cleanly on SIGTERM, after which the HEALTHCHECK fails', async () => {
    const url = `http://${collector.endpoints.health_check}/`;
    assert.equal(await collector.stop(), 0, collector.output());
    assert.equal(runImageHealthcheck(url), 1);
  });
});
