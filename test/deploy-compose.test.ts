import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { composeReferenceProblems, publishedPorts, type ComposeFile } from './deploy-checks/compose';
import { isObject, parseDuration, readYaml, repoPath, type Json } from './deploy-checks/repo';

function compose(...parts: string[]): ComposeFile {
  const doc = readYaml(...parts);
  assert.ok(isObject(doc), `${parts.join('/')} is not a mapping`);
  return { path: repoPath(...parts), doc };
}

function service(file: ComposeFile, name: string): Json {
  const services = file.doc.services;
  assert.ok(isObject(services) && isObject(services[name]), `${file.path} has no service "${name}"`);
  return services[name];
}

function hasDockerCompose(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

describe('deploy: docker compose files', () => {
  const main = compose('docker-compose.yml');
  const loki = compose('deploy', 'loki', 'docker-compose.yml');
  const split = compose('deploy', 'loki', 'stack.override.yml');

  it('the main stack has the collector, Loki, Grafana, Prometheus and the demo', () => {
    for (const name of ['collector', 'loki', 'grafana', 'prometheus', 'demo']) service(main, name);
    assert.equal(service(main, 'loki').image, 'grafana/loki:3.4.2');
  });

  for (const files of [[main], [loki], [main, split]]) {
    it(`everything ${files.map((f) => f.path.slice(repoPath().length + 1)).join(' + ')} refers to exists`, () => {
      assert.deepEqual(composeReferenceProblems(files), []);
    });
  }

  it('the reference check notices missing files, volumes, networks, services and health checks', () => {
    const broken: ComposeFile = {
      path: main.path,
      doc: {
        name: 'sluice',
        services: {
          a: {
            build: { context: '.', target: 'no-such-stage' },
            volumes: ['./no-such-file.yaml:/x', 'undeclared:/data'],
            networks: ['elsewhere'],
          },
          b: {
            image: 'busybox',
            depends_on: { a: { condition: 'service_healthy' }, ghost: { condition: 'service_started' } },
            healthcheck: { test: ['CMD', 'true'], start_interval: '1s' },
          },
        },
      },
    };
    const problems = composeReferenceProblems([broken]).join('\n');
    for (const expected of [
      'top-level "name:"',
      'no-such-stage',
      'no-such-file.yaml',
      'volume "undeclared"',
      'network "elsewhere"',
      'unknown service "ghost"',
      'a has no healthcheck',
      'image busybox has no tag',
      'start_interval',
    ]) {
      assert.ok(problems.includes(expected), `expected a problem mentioning ${expected}, got:\n${problems}`);
    }
  });

  it('publishes only Grafana and the OTLP ports, on 127.0.0.1 by default', () => {
    const published = Object.fromEntries(Object.keys(main.doc.services as Json).map((name) => [name, publishedPorts(service(main, name))]));
    for (const [name, ports] of Object.entries(published)) {
      for (const port of ports) assert.equal(port.hostIp, '127.0.0.1', `${name} publishes ${port.containerPort} beyond 127.0.0.1`);
    }
    const containerPorts = (name: string) => published[name]!.map((p) => p.containerPort).sort();
    assert.deepEqual(containerPorts('collector'), ['4317', '4318']);
    assert.deepEqual(containerPorts('grafana'), ['3000']);
    for (const name of ['loki', 'prometheus', 'demo']) assert.deepEqual(containerPorts(name), [], `${name} publishes ports`);
    assert.deepEqual(publishedPorts(service(loki, 'loki')), []);
  });

  it('gives the collector more time to stop than its own shutdown timeout, and a health check', () => {
    const collector = service(main, 'collector');
    const config = readYaml('configs', 'docker.yaml') as Json;
    const shutdownTimeout = (config.service as Json).shutdown_timeout;
    assert.equal(typeof shutdownTimeout, 'string');
    assert.ok(parseDuration(String(collector.stop_grace_period)) > parseDuration(String(shutdownTimeout)));
    assert.ok(isObject(collector.healthcheck));
    assert.ok(collector.volumes && (collector.volumes as string[]).includes('./configs/docker.yaml:/etc/sluice/config.yaml:ro'));
  });

  it('waits for health where a service needs another one up', () => {
    assert.deepEqual(service(main, 'demo').depends_on, { collector: { condition: 'service_healthy' } });
    assert.deepEqual(service(main, 'grafana').depends_on, { prometheus: { condition: 'service_healthy' } });
  });

  it('Prometheus scrapes the collector at the ports configs/docker.yaml serves metrics on (its own, derived from logs)', () => {
    const prometheus = readYaml('deploy', 'prometheus', 'prometheus.yml') as Json;
    const config = readYaml('configs', 'docker.yaml') as Json;
    const reader = (((config.service as Json).telemetry as Json).metrics as Json).readers as Json[];
    const port = (((reader[0]!.pull as Json).exporter as Json).prometheus as Json).port as number;
    const derived = ((config.exporters as Json).prometheus as Json).endpoint as string;
    const targets = (prometheus.scrape_configs as Json[]).flatMap((job) =>
      (job.static_configs as Json[]).flatMap((s) => s.targets as string[]),
    );
    assert.deepEqual(targets, [`collector:${port}`, `collector:${derived.split(':').at(-1)}`]);
  });

  it('the split deployment puts Loki on an external network that the override joins', () => {
    assert.deepEqual(loki.doc.networks, { 'sluice-loki': { external: true } });
    assert.deepEqual(split.doc.networks, { 'sluice-loki': { external: true } });
    assert.deepEqual(service(split, 'collector').networks, ['default', 'sluice-loki']);
  });

  describe('docker-compose config -q', function () {
    before(function () {
      if (!hasDockerCompose()) {
        console.log('    skipped: no docker-compose binary (Debian package "docker-compose" installs it)');
        this.skip();
      }
    });
    for (const args of [
      ['-f', 'docker-compose.yml'],
      ['-f', 'deploy/loki/docker-compose.yml'],
      ['-f', 'docker-compose.yml', '-f', 'deploy/loki/stack.override.yml'],
    ]) {
      it(`accepts ${args.filter((a) => a !== '-f').join(' + ')}`, () => {
        const result = spawnSync('docker-compose', [...args, 'config', '-q'], { cwd: repoPath(), encoding: 'utf8' });
        assert.equal(result.status, 0, result.stderr);
      });
    }
  });
});
