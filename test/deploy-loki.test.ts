import assert from 'node:assert/strict';
import { isObject, readRepoFile, readYaml, type Json } from './deploy-checks/repo';

function at(doc: unknown, path: string): unknown {
  let node = doc;
  for (const key of path.split('.')) {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
  }
  return node;
}

describe('deploy: loki-config.yaml', () => {
  const config = readYaml('loki-config.yaml') as Json;

  const required: [string, unknown][] = [
    ['auth_enabled', false],
    ['analytics.reporting_enabled', false],
    ['common.storage.filesystem.chunks_directory', '/loki/chunks'],
    ['common.replication_factor', 1],
    ['common.ring.kvstore.store', 'inmemory'],
    ['schema_config.configs.0.store', 'tsdb'],
    ['schema_config.configs.0.object_store', 'filesystem'],
    ['schema_config.configs.0.schema', 'v13'],
    ['schema_config.configs.0.index.period', '24h'],
    ['compactor.retention_enabled', true],
    ['compactor.delete_request_store', 'filesystem'],
    ['limits_config.retention_period', '720h'],
    ['limits_config.allow_structured_metadata', true],
  ];
  for (const [path, value] of required) {
    it(`sets ${path}: ${String(value)}`, () => assert.equal(at(config, path), value));
  }

  it('sets ingestion limits', () => {
    for (const key of [
      'ingestion_rate_mb',
      'ingestion_burst_size_mb',
      'per_stream_rate_limit',
      'max_global_streams_per_user',
      'max_line_size',
    ]) {
      assert.notEqual(at(config, `limits_config.${key}`), undefined, `limits_config.${key} is not set`);
    }
  });

  it('keeps every path under /loki, the volume docker-compose.yml mounts', () => {
    for (const path of [
      'common.path_prefix',
      'common.storage.filesystem.chunks_directory',
      'common.storage.filesystem.rules_directory',
      'compactor.working_directory',
    ]) {
      assert.match(String(at(config, path)), /^\/loki(\/|$)/, path);
    }
    const loki = ((readYaml('docker-compose.yml') as Json).services as Json).loki as Json;
    assert.ok((loki.volumes as string[]).includes('loki-data:/loki'));
  });

  it('says what to change for production', () => {
    assert.ok(
      readRepoFile('loki-config.yaml')
        .split('\n')
        .filter((line) => line.includes('# PRODUCTION')).length >= 3,
    );
  });
});
