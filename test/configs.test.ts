import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG, builtinComponents } from '@sluice/collector';
import { formatDiagnostic, loadConfigFiles } from '@sluice/core';

const CONFIGS = resolve(__dirname, '../../configs');

/** What the example configs expect from the environment (each names its variables in comments). */
const ENV = { SLUICE_TOKEN: 'example-token', LOKI_ENDPOINT: 'http://127.0.0.1:3100/loki/api/v1/push' };

describe('configs/', function () {
  for (const file of readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} passes sluice validate`, () => {
      const result = loadConfigFiles([join(CONFIGS, file)], builtinComponents(), { env: { ...process.env, ...ENV } });
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      assert.deepEqual(errors, []);
      assert.ok(result.config);
    });
  }

  it('local.yaml is the default pipeline', () => {
    const local = readFileSync(join(CONFIGS, 'local.yaml'), 'utf8');
    assert.equal(local.split('\n').filter((l) => !l.startsWith('#')).join('\n'), DEFAULT_CONFIG);
  });
});
