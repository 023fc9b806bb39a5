/** Configs that must load, and what they load into: defaults, env expansion, telemetry syntax, merged files. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigDiagnostic } from '../src/config/diagnostics';
import { loadConfigFiles, loadConfigText } from '../src/config/load';
import type { CollectorConfig, LoadResult } from '../src/config/types';
import { testRegistry, yaml } from './config-fixtures';

const PIPELINE = yaml(`
  service:
    pipelines:
      logs: { receivers: [otlp], exporters: [file] }
`);

function load(text: string, env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfigText(text, testRegistry(), { env, file: 'config.yaml' });
}

function loaded(text: string, env: NodeJS.ProcessEnv = {}): CollectorConfig {
  const result = load(text, env);
  assert.deepEqual(
    result.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.ok(result.config);
  return result.config;
}

const summary = (d: ConfigDiagnostic) => `${d.severity} ${d.code} ${d.path} @${d.line}:${d.column}`;

describe('config loading', () => {
  it('null sections validate with every default', () => {
    const result = load(
      yaml(`
        receivers:
          otlp:
            protocols:
              grpc:
              http:
        processors:
          batch:
        exporters:
          file:
            path: /tmp/out.jsonl
        extensions:
          health_check:
        service:
          extensions: [health_check]
          pipelines:
            logs:
              receivers: [otlp]
              processors: [batch]
              exporters: [file]
      `),
    );
    assert.deepEqual(result.diagnostics, []);
    const config = result.config!;
    assert.deepEqual(config.receivers.get('otlp')!.config, {
      protocols: { grpc: { endpoint: '127.0.0.1:4317' }, http: { endpoint: '127.0.0.1:4318' } },
    });
    assert.deepEqual(config.processors.get('batch')!.config, { send_batch_size: 8192, timeout: 200 });
    assert.deepEqual(config.extensions.get('health_check')!.config, { endpoint: '127.0.0.1:13133' });
    assert.deepEqual(config.service, {
      extensions: ['health_check'],
      pipelines: [{ id: 'logs', signal: 'logs', receivers: ['otlp'], processors: ['batch'], exporters: ['file'] }],
      telemetry: { metrics: { level: 'normal', host: '127.0.0.1', port: 8888 }, logs: { level: 'info', encoding: 'console' } },
      shutdownTimeoutMs: 30_000,
      workers: 1,
    });
  });

  it('reads service.workers as a number from 1 to 256 or auto, and says so for anything else', () => {
    const pipelineWith = (workers: string) => `
receivers: { otlp: { protocols: { http: } } }
exporters: { file: { path: /tmp/x.jsonl } }
service:
  workers: ${workers}
  pipelines: { logs: { receivers: [otlp], exporters: [file] } }
`;
    assert.equal(loaded(pipelineWith('2')).service.workers, 2);
    assert.equal(loaded(pipelineWith('auto')).service.workers, 'auto');
    for (const wrong of ['0', 'many', '2.5', '300']) {
      const errors = load(pipelineWith(wrong)).diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => [d.path, d.message]),
        [['service.workers', 'give a number of processes from 1 to 256, or auto']],
        wrong,
      );
    }
  });

  it('gives each component its id parts, kind, factory and optional flag', () => {
    const config = loaded(
      yaml(`
        receivers:
          otlp:
        exporters:
          file: { path: /tmp/a.jsonl }
          loki/cloud: { endpoint: http://loki, optional: true }
        service:
          shutdown_timeout: 1m30s
          pipelines:
            logs: { receivers: [otlp], exporters: [file] }
            logs/cloud: { receivers: [otlp], exporters: [loki/cloud, file] }
      `),
    );
    const loki = config.exporters.get('loki/cloud')!;
    assert.deepEqual(
      [loki.id, loki.type, loki.name, loki.kind, loki.factory.type, loki.optional],
      ['loki/cloud', 'loki', 'cloud', 'exporter', 'loki', true],
    );
    assert.equal((loki.config as Record<string, unknown>).optional, undefined, 'optional is not passed to the factory schema');
    const file = config.exporters.get('file')!;
    assert.deepEqual([file.type, file.factory.type, file.optional], ['file', 'jsonl', false]);
    assert.deepEqual(
      config.service.pipelines.map((p) => p.id),
      ['logs', 'logs/cloud'],
    );
    assert.equal(config.service.shutdownTimeoutMs, 90_000);
  });

  describe('service.telemetry', () => {
    const metricsOf = (telemetry: string, env: NodeJS.ProcessEnv = {}) =>
      loaded(`receivers: { otlp: }\nexporters: { file: { path: /tmp/a } }\n${PIPELINE}  telemetry:\n${telemetry}`, env).service.telemetry;

    it('reads the current otelcol syntax: a Prometheus pull reader', () => {
      const telemetry = metricsOf(
        [
          '    metrics:',
          '      level: detailed',
          '      readers:',
          '        - pull:',
          '            exporter:',
          '              prometheus:',
          '                host: 0.0.0.0',
          '                port: ${env:METRICS_PORT}',
          '    logs:',
          '      level: DEBUG',
          '      encoding: json',
        ].join('\n'),
        { METRICS_PORT: '9464' },
      );
      assert.deepEqual(telemetry, {
        metrics: { level: 'detailed', host: '0.0.0.0', port: 9464 },
        logs: { level: 'debug', encoding: 'json' },
      });
    });

    it('reads the older address syntax', () => {
      assert.deepEqual(metricsOf('    metrics:\n      address: 127.0.0.1:0\n').metrics, { level: 'normal', host: '127.0.0.1', port: 0 });
    });

    it('turns metrics off with level none', () => {
      assert.equal(metricsOf('    metrics:\n      level: none\n').metrics, null);
    });

    it('warns about otelcol telemetry keys it ignores, and refuses readers with address', () => {
      const text = yaml(`
        receivers: { otlp: }
        exporters: { file: { path: /tmp/a } }
        service:
          pipelines:
            logs: { receivers: [otlp], exporters: [file] }
          telemetry:
            resource: { service.name: sluice }
            metrics:
              readers:
                - periodic: { exporter: { otlp: { endpoint: http://x } } }
                - pull: { exporter: { prometheus: { port: 9000, without_units: true } } }
      `);
      const result = load(text);
      assert.deepEqual(result.diagnostics.map(summary), [
        'warning SLUICE_CONFIG_UNSUPPORTED_KEY service.telemetry.resource @7:5',
        'warning SLUICE_CONFIG_UNSUPPORTED_KEY service.telemetry.metrics.readers[0].periodic @10:11',
        'warning SLUICE_CONFIG_UNSUPPORTED_KEY service.telemetry.metrics.readers[1].pull.exporter.prometheus.without_units @11:57',
      ]);
      assert.deepEqual(result.config!.service.telemetry.metrics, { level: 'normal', host: '127.0.0.1', port: 9000 });

      const both = load(text.replace('      readers:', '      address: 127.0.0.1:1\n      readers:'));
      assert.deepEqual(both.diagnostics.filter((d) => d.severity === 'error').map(summary), [
        'error SLUICE_CONFIG_INVALID_VALUE service.telemetry.metrics.address @9:7',
      ]);
    });
  });

  describe('env expansion', () => {
    const pathOf = (value: string, env: NodeJS.ProcessEnv) => {
      const result = load(`receivers: { otlp: }\nexporters:\n  file:\n    path: ${value}\n${PIPELINE}`, env);
      return { path: (result.config?.exporters.get('file')?.config as { path: string } | undefined)?.path, result };
    };

    it('expands ${env:VAR}, ${VAR} and defaults, inside longer strings too', () => {
      const env = { DIR: '/var/log', NAME: 'app' };
      assert.equal(pathOf('${env:DIR}/${NAME}.jsonl', env).path, '/var/log/app.jsonl');
      assert.equal(pathOf('${env:UNSET_DIR:-/tmp}/x', env).path, '/tmp/x');
      assert.equal(pathOf('"${env:DIR:-/tmp}/x"', env).path, '/var/log/x');
      assert.equal(pathOf('${env:EMPTY:-/tmp}', { EMPTY: '' }).result.config, undefined, 'as otelcol, the default is for unset, not empty');
    });

    it('reads $$ as a literal $', () => {
      assert.equal(pathOf('/tmp/$${env:DIR}-$$5', { DIR: 'no' }).path, '/tmp/${env:DIR}-$5');
    });

    it('re-reads a whole-value reference as a YAML scalar, so a port is a number', () => {
      const config = loaded(
        `receivers: { otlp: }\nprocessors:\n  batch:\n    send_batch_size: \${env:SIZE}\nexporters: { file: { path: /tmp/a } }\n${PIPELINE.replace('exporters: [file]', 'processors: [batch], exporters: [file]')}`,
        { SIZE: '512' },
      );
      assert.equal((config.processors.get('batch')!.config as { send_batch_size: number }).send_batch_size, 512);
    });

    it("re-reads a whole-value list, so an env var can choose a pipeline's exporters", () => {
      const text = yaml(`
        receivers: { otlp: }
        exporters:
          file: { path: /tmp/a }
          file/b: { path: '\${env:LIST:-/tmp/b}' }
        service:
          pipelines:
            logs:
              receivers: [otlp]
              exporters: \${env:EXPORTERS:-[file]}
      `);
      assert.deepEqual(loaded(text, {}).service.pipelines[0]!.exporters, ['file']);
      assert.deepEqual(loaded(text, { EXPORTERS: '[file, file/b]' }).service.pipelines[0]!.exporters, ['file', 'file/b']);
      const withListText = loaded(text, { EXPORTERS: '[file, file/b]', LIST: '[x]' });
      assert.equal((withListText.exporters.get('file/b')!.config as { path: string }).path, '[x]', 'a string is still a string');
    });

    it('drops an exporter written with enabled: false from every pipeline, and does not call it unused', () => {
      const text = yaml(`
        receivers: { otlp: }
        exporters:
          file: { path: /tmp/a }
          loki:
            endpoint: http://loki
            optional: true
            enabled: \${env:LOKI_ENABLED:-false}
        service:
          pipelines:
            logs: { receivers: [otlp], exporters: [file, loki] }
      `);
      const off = load(text);
      assert.deepEqual(off.diagnostics, []);
      assert.deepEqual(off.config!.service.pipelines[0]!.exporters, ['file']);
      assert.equal(off.config!.exporters.has('loki'), false);
      const on = loaded(text, { LOKI_ENABLED: 'true' });
      assert.deepEqual(on.service.pipelines[0]!.exporters, ['file', 'loki']);
      assert.equal((on.exporters.get('loki')!.config as Record<string, unknown>).enabled, undefined);
      const wrong = load(text, { LOKI_ENABLED: 'yes please' });
      assert.deepEqual(wrong.diagnostics.map(summary), ['error SLUICE_CONFIG_INVALID_VALUE exporters.loki.enabled @7:5']);
    });

    it('says what an enabled/optional flag got, and which variable was unset', () => {
      const text = yaml(`
        receivers: { otlp: }
        exporters:
          file: { path: /tmp/a }
          loki:
            endpoint: http://loki
            enabled: \${env:LOKI_ENABLED}
        service:
          pipelines:
            logs: { receivers: [otlp], exporters: [file, loki] }
      `);
      const unset = load(text);
      assert.deepEqual(unset.diagnostics.map(summary), ['error SLUICE_CONFIG_REQUIRED exporters.loki.enabled @6:5']);
      assert.match(unset.diagnostics[0]!.message, /LOKI_ENABLED is not set/);
      const yes = load(text, { LOKI_ENABLED: 'yes' });
      assert.match(yes.diagnostics[0]!.message, /expected true or false, got "yes"/);
      const one = load(text, { LOKI_ENABLED: '1' });
      assert.match(one.diagnostics[0]!.message, /expected true or false, got "1"/);
    });

    it('keeps the text where a string is wanted, even if it reads as a number', () => {
      const config = loaded(`receivers: { otlp: }\nexporters:\n  file:\n    path: \${env:NAME}\n${PIPELINE}`, { NAME: '0123' });
      assert.equal((config.exporters.get('file')!.config as { path: string }).path, '0123');
    });

    it('warns about an unset variable where an empty value is valid', () => {
      const result = load(`receivers: { otlp: }\nexporters:\n  file:\n    path: /tmp/\${env:SUFFIX}x\n${PIPELINE}`);
      assert.deepEqual(result.diagnostics.map(summary), ['warning SLUICE_CONFIG_ENV_UNSET exporters.file.path @4:11']);
      assert.match(result.diagnostics[0]!.message, /SUFFIX is not set/);
      assert.equal((result.config!.exporters.get('file')!.config as { path: string }).path, '/tmp/x');
    });
  });

  describe('several files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('merges maps key by key, later wins, lists are replaced, positions point into the right file', async () => {
      const base = join(dir, 'base.yaml');
      const override = join(dir, 'override.yaml');
      await writeFile(
        base,
        yaml(`
          receivers:
            otlp:
          processors:
            batch: { send_batch_size: 100, timeout: 1s }
          exporters:
            file: { path: /tmp/base.jsonl }
          service:
            pipelines:
              logs: { receivers: [otlp], processors: [batch], exporters: [file] }
        `),
      );
      await writeFile(
        override,
        yaml(`
          processors:
            batch: { send_batch_size: 5 }
          exporters:
            loki: { endpoint: http://loki, tenant: a }
          service:
            pipelines:
              logs: { exporters: [file, loki] }
        `),
      );
      const failing = loadConfigFiles([base, override], testRegistry(), { env: {} });
      assert.deepEqual(
        failing.diagnostics.map((d) => `${d.code} ${d.path} ${d.file}:${d.line}:${d.column}`),
        [`SLUICE_CONFIG_UNKNOWN_KEY exporters.loki.tenant ${override}:4:34`],
      );

      await writeFile(override, (await readFile(override, 'utf8')).replace('tenant:', 'tenant_id:'));
      const result = loadConfigFiles([base, override], testRegistry(), { env: {} });
      assert.deepEqual(result.diagnostics, []);
      const config = result.config!;
      assert.deepEqual(config.files, [base, override]);
      assert.deepEqual(config.processors.get('batch')!.config, { send_batch_size: 5, timeout: 1000 });
      assert.deepEqual(config.service.pipelines, [
        { id: 'logs', signal: 'logs', receivers: ['otlp'], processors: ['batch'], exporters: ['file', 'loki'] },
      ]);
    });

    it('reports a file it cannot read and every YAML error, each with its file', async () => {
      const broken = join(dir, 'broken.yaml');
      await writeFile(broken, 'receivers:\n  otlp: [\n');
      const result = loadConfigFiles([join(dir, 'missing.yaml'), broken], testRegistry(), { env: {} });
      assert.deepEqual(
        result.diagnostics.map((d) => `${d.code} ${d.file}`),
        [`SLUICE_CONFIG_READ ${join(dir, 'missing.yaml')}`, `SLUICE_CONFIG_YAML ${broken}`],
      );
      assert.match(result.diagnostics[0]!.message, /ENOENT/);
      assert.equal(result.diagnostics[1]!.line, 3);
    });
  });
});
