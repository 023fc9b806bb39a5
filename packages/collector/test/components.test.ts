import assert from 'node:assert/strict';
import {
  Telemetry,
  createMemoryLogger,
  isClientAuthenticator,
  isServerAuthenticator,
  isStorageExtension,
  type CreateSettings,
  type Exporter,
  type Host,
  type PipelineWatcher,
} from '@sluice/core';
import { newLogRecord, type LogsData } from '@sluice/pdata';
import { builtinComponents, debugExporterFactory, healthCheckExtensionFactory } from '../src';

function settings(id: string, endpoints: Record<string, string> = {}): CreateSettings {
  return {
    id,
    kind: 'extension',
    logger: createMemoryLogger(),
    telemetry: new Telemetry(),
    onListening: (label, address) => (endpoints[label] = address),
  };
}

function logs(bodies: string[]): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'svc' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'scope', version: '1', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: bodies.map((body) => newLogRecord({ body, severityText: 'INFO', attributes: [{ key: 'k', value: 7n }] })),
          },
        ],
      },
    ],
  };
}

/** Runs `fn` with stderr captured. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  const original = process.stderr.write.bind(process.stderr);
  let captured = '';
  process.stderr.write = (chunk: string | Uint8Array) => {
    captured += String(chunk);
    return true;
  };
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return captured;
}

describe('debug exporter', function () {
  const make = (config: Record<string, unknown>) =>
    debugExporterFactory.create(settings('debug'), debugExporterFactory.configSchema.parse(config));

  it('basic: one summary line per batch; normal: a line per record; detailed: every field', async () => {
    const basic = await captureStderr(() => make({}).consume(logs(['a', 'b']), {}));
    assert.match(basic, /"resource logs": 1, "log records": 2/);
    assert.doesNotMatch(basic, /INFO a/);
    const normal = await captureStderr(() => make({ verbosity: 'normal' }).consume(logs(['a', 'b']), {}));
    assert.match(normal, /^INFO a k=7$/m);
    assert.match(normal, /^INFO b k=7$/m);
    const detailed = await captureStderr(() => make({ verbosity: 'detailed' }).consume(logs(['a']), {}));
    assert.match(detailed, /service\.name: svc/);
    assert.match(detailed, /InstrumentationScope scope 1/);
    assert.match(detailed, /Body: a/);
  });

  it('samples as otelcol: the first sampling_initial batches a second, then every sampling_thereafter-th', async () => {
    const exporter: Exporter = make({ sampling_initial: 2, sampling_thereafter: 3 });
    const realNow = Date.now;
    Date.now = () => 1_700_000_000_000; // one and the same second for every batch
    let out: string;
    try {
      out = await captureStderr(async () => {
        for (let i = 0; i < 8; i++) await exporter.consume(logs([`m${i}`]), {});
      });
    } finally {
      Date.now = realNow;
    }
    const printed = out.split('\n').filter((l) => l.includes('"log records"')).length;
    assert.equal(printed, 4, 'batches 1 and 2 (initial), then 5 and 8 (every 3rd after)');
  });
});

describe('health_check extension', function () {
  it('answers 503 until the pipelines are ready, 200 while ready, 503 once stopping', async () => {
    const endpoints: Record<string, string> = {};
    const ext = healthCheckExtensionFactory.create(
      settings('health_check', endpoints),
      healthCheckExtensionFactory.configSchema.parse({ endpoint: '127.0.0.1:0' }),
    ) as PipelineWatcher;
    const host: Host = { getExtension: () => undefined, getExporters: () => new Map() };
    await ext.start(host);
    const url = `http://${endpoints.health_check}/`;
    try {
      assert.equal((await fetch(url)).status, 503);
      ext.ready();
      const ready = await fetch(url);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { status: string }).status, 'Server available');
      assert.equal((await fetch(`${url}health/nope`)).status, 404);
      ext.notReady();
      assert.equal((await fetch(url)).status, 503);
    } finally {
      await ext.shutdown();
    }
  });
});

describe('built-in extensions', function () {
  it('declare exactly the roles their instances play, so config validation checks references as a start would', () => {
    const guards = {
      server_authenticator: isServerAuthenticator,
      client_authenticator: isClientAuthenticator,
      storage: isStorageExtension,
    };
    const extensions = builtinComponents()
      .all()
      .filter((factory) => factory.kind === 'extension');
    assert.ok(extensions.length >= 3);
    for (const factory of extensions) {
      const config = factory.type === 'file_storage' ? { directory: '/tmp' } : factory.type === 'bearertokenauth' ? { token: 't' } : {};
      const instance = factory.create(settings(factory.type), factory.configSchema.parse(config));
      const played = Object.entries(guards)
        .filter(([, guard]) => guard(instance))
        .map(([role]) => role);
      assert.deepEqual(played, [...(factory.provides ?? [])], factory.type);
    }
  });
});
