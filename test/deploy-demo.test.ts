import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, spawnCollector, type ChildCollector } from './support/child-collector';
import { repoPath } from './deploy-checks/repo';
import { startTraceSink } from './support/otlp-trace-sink';
import { otlpPipelineConfig } from './support/pipeline-config';

const DEMO = repoPath('examples', 'demo', 'app.js');

describe('deploy: the demo app against a local collector', function () {
  let dir: string;
  let collector: ChildCollector | undefined;

  afterEach(async () => {
    await collector?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records from `--count` reach the JSONL file with trace ids, and each trace reaches the traces endpoint', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-demo-'));
    const config = join(dir, 'config.yaml');
    await writeFile(config, otlpPipelineConfig({ jsonl: { path: join(dir, 'logs.jsonl') } }, { otlp: { grpc: 0 }, prometheus: true }));
    collector = await spawnCollector([config]);
    const grpc = collector.endpoints['otlp/grpc'];
    assert.ok(grpc, collector.output());
    const traces = await startTraceSink();

    const demo = spawn(process.execPath, [DEMO, '--count', '20'], {
      env: {
        ...process.env,
        SLUICE_ENDPOINT: `http://${grpc}`,
        DEMO_SERVICE_NAME: 'demo-under-test',
        SLUICE_TOKEN: '',
        DEMO_TRACES_ENDPOINT: traces.url,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let demoOutput = '';
    demo.stderr.on('data', (chunk) => (demoOutput += chunk));
    assert.equal(await exitOf(demo), 0, demoOutput);
    await traces.close();
    assert.equal(await collector.stop(), 0, collector.output());
    const files = (await readdir(dir)).filter((name) => name.endsWith('.jsonl'));
    assert.ok(files.length > 0, `no JSONL file in ${dir}:\n${collector.output()}`);
    const text = (await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8')))).join('');
    assert.ok(text.includes('demo-under-test'), 'the demo service name is not in the JSONL file');
    const traceIds = new Set([...text.matchAll(/"trace_?id"\s*:\s*"([0-9a-f]{32})"/gi)].map((m) => m[1]));
    // Every simulated request starts a new trace.
    assert.ok(traceIds.size >= 20, `only ${traceIds.size} distinct trace ids in:\n${text.slice(0, 2000)}`);
    // The same ids as the spans the demo exported: a log line's trace_id opens its trace.
    assert.equal(traces.traceIds.size, traceIds.size, 'one exported trace per logged request');
    for (const id of traceIds) assert.ok(traces.traceIds.has(id!), `trace ${id} is in the logs but was not exported`);
  });
});
