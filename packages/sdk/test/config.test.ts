import assert from 'node:assert/strict';
import { resolveBatch, resolveConnection } from '../src/config';
import { buildResource } from '../src/resource';
import { SluiceError } from '@sluice/pdata';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SluiceError);
    return error.code;
  }
  return undefined;
}

describe('connection options', () => {
  it('refuses a token over plaintext unless allowInsecureToken', () => {
    assert.equal(
      code(() => resolveConnection({ endpoint: 'http://127.0.0.1:1', token: 't' }, {})),
      'SLUICE_SDK_INSECURE_TOKEN',
    );
    assert.equal(
      code(() => resolveConnection({ endpoint: 'https://c:1', insecure: true, token: 't' }, {})),
      'SLUICE_SDK_INSECURE_TOKEN',
    );
    const allowed = resolveConnection({ endpoint: 'http://127.0.0.1:1', token: 't', allowInsecureToken: true }, {});
    assert.equal(allowed.plaintext, true);
    assert.equal(
      code(() => resolveConnection({ protocol: 'http/protobuf', endpoint: 'http://h:1', token: 't' }, {})),
      'SLUICE_SDK_INSECURE_TOKEN',
    );
  });

  it('refuses a token function on a plaintext gRPC channel, where it could not rotate', () => {
    const options = { endpoint: 'http://h:1', token: () => 't', allowInsecureToken: true };
    assert.equal(
      code(() => resolveConnection(options, {})),
      'SLUICE_SDK_BAD_OPTION',
    );
  });

  it('follows the spec for gRPC security: scheme first, then OTEL_EXPORTER_OTLP_INSECURE', () => {
    assert.equal(resolveConnection({ endpoint: 'https://c:4317' }, {}).plaintext, false);
    assert.equal(resolveConnection({ endpoint: 'c:4317' }, {}).plaintext, false);
    assert.equal(resolveConnection({ endpoint: 'c:4317' }, { OTEL_EXPORTER_OTLP_INSECURE: 'true' }).plaintext, true);
    assert.equal(resolveConnection({}, {}).url, 'http://localhost:4317');
  });

  it('reads OTEL_EXPORTER_OTLP_* with the logs-specific variable first, and explicit options win', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://generic:4317',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'https://logs:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    };
    assert.equal(resolveConnection({}, env).url, 'https://logs:4317');
    assert.equal(resolveConnection({ endpoint: 'https://mine:4317' }, env).url, 'https://mine:4317');
    const http = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318/' };
    assert.equal(resolveConnection({}, http).url, 'http://base:4318/v1/logs');
    assert.equal(resolveConnection({ endpoint: 'http://h:1' }, http).url, 'http://h:1/v1/logs');
    assert.equal(resolveConnection({ endpoint: 'http://h:1/custom' }, http).url, 'http://h:1/custom');
    assert.equal(
      code(() => resolveConnection({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })),
      'SLUICE_SDK_BAD_OPTION',
    );
  });

  it('names a TLS file it cannot read, and the option or variable that named it', () => {
    assert.throws(
      () => resolveConnection({ endpoint: 'https://c:1', tls: { caFile: '/nonexistent/ca.pem' } }, {}),
      /^SluiceError: SLUICE_CONFIG_INVALID_VALUE: tls\.caFile: cannot read \/nonexistent\/ca\.pem: ENOENT$/,
    );
    assert.throws(
      () => resolveConnection({ endpoint: 'https://c:1' }, { OTEL_EXPORTER_OTLP_CLIENT_KEY: '/nonexistent/key.pem' }),
      /OTEL_EXPORTER_OTLP_CLIENT_KEY: cannot read \/nonexistent\/key\.pem/,
    );
  });

  it('defaults the queue to 10,000 records and rejects nonsense sizes', () => {
    assert.equal(resolveBatch({}).maxQueueSize, 10_000);
    assert.equal(resolveBatch({ maxQueueSize: 100 }).maxExportBatchSize, 100);
    assert.equal(
      code(() => resolveBatch({ maxQueueSize: 0 })),
      'SLUICE_SDK_BAD_OPTION',
    );
    assert.equal(resolveBatch({}, { OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '2500' }).exportTimeoutMillis, 2_500);
    assert.equal(resolveBatch({ exportTimeoutMillis: 100 }, { OTEL_EXPORTER_OTLP_TIMEOUT: '2500' }).exportTimeoutMillis, 100);
  });
});

describe('resource', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('describes the process; OTEL_* variables override it and explicit options override those', () => {
    process.env.OTEL_SERVICE_NAME = 'from-env';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.namespace=shop,deployment.environment.name=env';
    const fromEnv = buildResource({}).attributes;
    assert.equal(fromEnv['service.name'], 'from-env');
    assert.equal(fromEnv['service.namespace'], 'shop');
    assert.equal(fromEnv['process.pid'], process.pid);
    assert.equal(fromEnv['process.runtime.name'], 'nodejs');
    assert.equal(typeof fromEnv['host.name'], 'string');
    assert.equal('process.owner' in fromEnv, false, 'process.owner is opt-in');
    const explicit = buildResource({
      serviceName: 'checkout',
      serviceVersion: '1.2.3',
      environment: 'prod',
      includeProcessOwner: true,
    }).attributes;
    assert.equal(explicit['service.name'], 'checkout');
    assert.equal(explicit['service.version'], '1.2.3');
    assert.equal(explicit['deployment.environment.name'], 'prod');
    assert.equal(typeof explicit['process.owner'], 'string');
  });
});
