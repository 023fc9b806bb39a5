import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parseDockerignore, isIgnored } from './deploy-checks/dockerignore';
import { checkDockerfile, execForm, parseStages, type DockerfileRules } from './deploy-checks/dockerfile-rules';
import { readRepoFile, repoPath } from './deploy-checks/repo';

const rules: DockerfileRules = {
  ports: [4317, 4318, 8888, 13133],
  volume: '/var/lib/sluice',
  healthUrl: 'http://127.0.0.1:13133/',
  entrypoint: ['node', '/app/packages/collector/bin/sluice.js'],
  cmd: ['--config', '/etc/sluice/config.yaml'],
  workspaces: (JSON.parse(readRepoFile('package.json')) as { workspaces: string[] }).workspaces,
};

describe('deploy: Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const stages = parseStages(dockerfile);
  const runtime = stages[stages.length - 1]!;

  it('follows the image rules', () => {
    assert.deepEqual(checkDockerfile(dockerfile, rules), []);
  });

  it('runs on a Node LTS slim image and builds with npm ci in an earlier stage', () => {
    assert.match(runtime.image, /^node:(22|24)\.\d+\.\d+-\w+-slim$/);
    assert.equal(runtime.name, 'runtime');
    assert.ok(stages.some((s) => s.name === 'build'));
  });

  it('installs configs/docker.yaml as /etc/sluice/config.yaml', () => {
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    assert.ok(copies.includes('configs/docker.yaml /etc/sluice/config.yaml'));
  });

  it('copies from the build context only what exists and .dockerignore lets through', () => {
    const ignore = parseDockerignore(readRepoFile('.dockerignore'));
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return words.slice(0, -1);
      });
    assert.ok(sources.length > 5);
    for (const source of sources) {
      const path = source.replace(/\/$/, '');
      assert.ok(existsSync(repoPath(path)), `COPY source ${source} does not exist`);
      assert.equal(isIgnored(path, ignore), false, `COPY source ${source} is excluded by .dockerignore`);
    }
  });

  it('keeps dependencies, build output and local data out of the build context', () => {
    const ignore = parseDockerignore(readRepoFile('.dockerignore'));
    for (const path of [
      'node_modules',
      'packages/core/node_modules',
      'packages/core/dist/src/index.js',
      '.git',
      'data',
      'packages/core/test/model.test.ts',
    ]) {
      assert.ok(isIgnored(path, ignore), `${path} is sent to the build context`);
    }
    for (const path of ['packages/core/src/index.ts', 'package-lock.json', 'configs/docker.yaml', 'examples/demo/app.js']) {
      assert.equal(isIgnored(path, ignore), false, `${path} is excluded`);
    }
  });

  it('the rule checker catches a Dockerfile that breaks every rule', () => {
    const bad = [
      'FROM node:latest',
      'ADD https://example.invalid/tool.tgz /tmp/',
      'RUN apt-get install -y curl && npm install',
      'HEALTHCHECK CMD curl -f http://localhost:13133/ || exit 1',
      'EXPOSE 4317',
      'ENTRYPOINT node /app/packages/collector/bin/sluice.js --config /etc/sluice/config.yaml',
    ].join('\n');
    const problems = checkDockerfile(bad, rules).join('\n');
    for (const expected of [
      'not multi-stage',
      'not pinned',
      'npm ci',
      'curl',
      'ADD of a URL',
      'no USER',
      'HEALTHCHECK',
      'ENTRYPOINT is missing or not in exec form',
      'CMD is missing',
      'port 4318',
      '/var/lib/sluice',
      'STOPSIGNAL',
    ]) {
      assert.ok(problems.includes(expected), `expected a problem mentioning "${expected}", got:\n${problems}`);
    }
  });

  it('the rule checker catches a workspace manifest missing, misplaced or copied only after npm ci', () => {
    const dockerfile = (copies: string[]) =>
      ['FROM node:22.20.0-bookworm-slim AS build', ...copies, 'RUN npm ci', 'COPY packages/ packages/'].join('\n');
    const workspaces = { ...rules, workspaces: ['packages/pdata', 'packages/core'] };
    const problems = (copies: string[]) => checkDockerfile(dockerfile(copies), workspaces).filter((p) => p.includes('package.json'));
    assert.deepEqual(problems(['COPY packages/core/package.json packages/core/']), [
      'packages/pdata/package.json is not copied to packages/pdata/ before `npm ci` in stage build',
    ]);
    assert.equal(problems(['COPY packages/pdata/package.json packages/core/', 'COPY packages/core/package.json packages/core/']).length, 1);
    assert.deepEqual(problems(['COPY packages/pdata/package.json packages/pdata/', 'COPY packages/core/package.json packages/core/']), []);
    assert.deepEqual(problems(['COPY packages/ packages/']), []);
  });

  it('the rule checker refuses a HEALTHCHECK argument with a space in it', () => {
    const inline = `CMD ["node", "-e", "fetch('${rules.healthUrl}').then((r) => process.exit(r.ok ? 0 : 1))"]`;
    const problems = checkDockerfile(
      readRepoFile('Dockerfile').replace(/CMD \["node", "\/app\/packages\/collector\/bin\/healthcheck\.js".*\]/, inline),
      rules,
    );
    assert.deepEqual(problems, ['HEALTHCHECK has an argument with a space (podman would split it)']);
  });

  it('reads exec form and joins continuation lines', () => {
    assert.deepEqual(execForm('--interval=5s CMD ["node", "-e", "x"]'), ['node', '-e', 'x']);
    assert.equal(execForm('node server.js'), undefined);
    const [stage] = parseStages('ARG BASE=node:22.20.0-bookworm-slim\nFROM ${BASE} AS build\nRUN a \\\n  # comment\n  && b\n');
    assert.equal(stage?.image, 'node:22.20.0-bookworm-slim');
    assert.deepEqual(
      stage?.instructions.map((i) => i.args),
      ['a  && b'],
    );
  });
});
