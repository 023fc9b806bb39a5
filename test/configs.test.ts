import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG, builtinComponents } from '@sluice/collector';
import { formatDiagnostic, loadConfigFiles } from '@sluice/core';
import { testCerts } from './support/certs';

const CONFIGS = resolve(__dirname, '../../configs');

/**
 * What the example configs expect from the environment (each names its variables in comments).
 * Validation reads the TLS and token files, so they point at real ones in the test's temp directory.
 */
function exampleEnv(): NodeJS.ProcessEnv {
  const certs = testCerts();
  const tokenFile = join(certs.dir, 'token');
  writeFileSync(tokenFile, 'example-token\n');
  return {
    SLUICE_TOKEN: 'example-token',
    LOKI_ENDPOINT: 'http://127.0.0.1:3100/loki/api/v1/push',
    SLUICE_CA_FILE: certs.caCert,
    SLUICE_TLS_DIR: certs.dir,
    SLUICE_TLS_CERT: certs.serverCert,
    SLUICE_TLS_KEY: certs.serverKey,
    SLUICE_TOKEN_FILE: tokenFile,
  };
}

describe('configs/', function () {
  let env: NodeJS.ProcessEnv;
  before(() => {
    env = { ...process.env, ...exampleEnv() };
  });

  for (const file of readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} passes sluice validate`, () => {
      const result = loadConfigFiles([join(CONFIGS, file)], builtinComponents(), { env });
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      assert.deepEqual(errors, []);
      assert.ok(result.config);
    });
  }

  it('local.yaml is the default pipeline', () => {
    const local = readFileSync(join(CONFIGS, 'local.yaml'), 'utf8');
    assert.equal(
      local
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n'),
      DEFAULT_CONFIG,
    );
  });
});
