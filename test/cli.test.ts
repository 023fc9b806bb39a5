import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSluice, spawnCollector } from './support/child-collector';
import { tempDir } from './support/collector';

const VALID_BASE = `receivers:
  otlp:
    protocols:
      http:
exporters:
  jsonl:
    path: ./data/logs.jsonl
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [jsonl]
`;

describe('sluice CLI', function () {
  let tmp: { dir: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await tempDir();
  });
  after(() => tmp.cleanup());

  async function configFile(name: string, text: string): Promise<string> {
    const path = join(tmp.dir, name);
    await writeFile(path, text);
    return path;
  }

  it('prints its version and help', async () => {
    const version = await runSluice(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^sluice \d+\.\d+\.\d+/);
    const help = await runSluice(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /sluice validate --config FILE/);
  });

  it('lists the built-in components by kind', async () => {
    const { code, stdout } = await runSluice(['components']);
    assert.equal(code, 0);
    assert.match(stdout, /receivers:\n\s+otlp /);
    assert.match(stdout, /exporters:[\s\S]*\n\s+jsonl /);
    assert.match(stdout, /\n\s+file .*alias of jsonl/);
    assert.match(stdout, /extensions:[\s\S]*\n\s+health_check /);
  });

  it('validates a config with null sections and current otelcol telemetry syntax', async () => {
    const path = await configFile(
      'null-sections.yaml',
      `receivers:
  otlp:
    protocols:
      grpc:
      http:
exporters:
  jsonl:
    path: ./data/x.jsonl
  debug:
extensions:
  health_check:
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: 8888
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [jsonl, debug]
`,
    );
    const { code, stdout, stderr } = await runSluice(['validate', '--config', path]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /valid/);
  });

  const invalid: Array<{ name: string; text: string; env?: NodeJS.ProcessEnv; code: string; key: string; line: number; detail: RegExp }> = [
    {
      name: 'a typo in a key',
      text: VALID_BASE.replace('    path: ./data/logs.jsonl', '    pth: ./data/logs.jsonl\n    path: ./x.jsonl'),
      code: 'SLUICE_CONFIG_UNKNOWN_KEY',
      key: 'exporters.jsonl.pth',
      line: 7,
      detail: /did you mean path\?/,
    },
    {
      name: 'an unknown component type',
      text: VALID_BASE.replace(
        '  jsonl:\n    path: ./data/logs.jsonl',
        '  jsonl:\n    path: ./data/logs.jsonl\n  kafka:\n    brokers: [x]',
      ),
      code: 'SLUICE_CONFIG_UNKNOWN_TYPE',
      key: 'exporters.kafka',
      line: 8,
      detail: /jsonl/,
    },
    {
      name: 'a pipeline naming an undefined component',
      text: VALID_BASE.replace('exporters: [jsonl]', 'exporters: [jsonl, loki]'),
      code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      key: 'service.pipelines.logs.exporters',
      line: 12,
      detail: /loki/,
    },
    {
      name: 'a required key left empty by an unset environment variable',
      text: VALID_BASE.replace('path: ./data/logs.jsonl', 'path: ${env:SLUICE_TEST_UNSET_PATH}'),
      code: 'SLUICE_CONFIG_REQUIRED',
      key: 'exporters.jsonl.path',
      line: 7,
      detail: /SLUICE_TEST_UNSET_PATH/,
    },
    {
      name: 'a recursive YAML alias, without a stack trace',
      text: `${VALID_BASE}x-shared:\n  a: &x\n    b: *x\n`,
      code: 'SLUICE_CONFIG_YAML',
      key: 'x-shared.a.b',
      line: 15,
      detail: /alias \*x is inside the node it names/,
    },
  ];

  for (const c of invalid) {
    it(`refuses ${c.name}, naming file, line and key`, async () => {
      const path = await configFile(`${c.code}.yaml`, c.text);
      const { code, stderr } = await runSluice(['validate', '--config', path], c.env);
      assert.equal(code, 1, `exit code for ${c.name}; stderr: ${stderr}`);
      const line = stderr.split('\n').find((l) => l.startsWith(c.code));
      assert.ok(line, `a ${c.code} line in:\n${stderr}`);
      assert.ok(line.includes(c.key), `key ${c.key} in: ${line}`);
      assert.ok(line.includes(`${path}:${c.line}`), `${path}:${c.line} in: ${line}`);
      assert.match(line, c.detail);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('reports several errors in one run', async () => {
    const text = VALID_BASE.replace('    path: ./data/logs.jsonl', '    pth: ./data/logs.jsonl').replace(
      'exporters: [jsonl]',
      'exporters: [jsonl, nope]',
    );
    const path = await configFile('several.yaml', text);
    const { code, stderr } = await runSluice(['validate', '--config', path]);
    assert.equal(code, 1);
    assert.match(stderr, /SLUICE_CONFIG_UNKNOWN_KEY/);
    assert.match(stderr, /SLUICE_CONFIG_UNDEFINED_COMPONENT/);
  });

  it("never prints an endpoint's credentials or query in its startup banner or log", async () => {
    const path = await configFile(
      'secret-endpoint.yaml',
      `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  loki:
    endpoint: http://user:PWSECRET@127.0.0.1:9/loki/api/v1/push?api_key=QUERYSECRET
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`,
    );
    const collector = await spawnCollector([path]);
    try {
      assert.match(collector.stdout(), /logs → loki\s+http:\/\/127\.0\.0\.1:9\/loki\/api\/v1\/push\n/);
      assert.doesNotMatch(collector.output(), /SECRET/);
    } finally {
      await collector.stop();
    }
  });
});
