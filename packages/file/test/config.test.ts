import assert from 'node:assert/strict';
import { jsonlConfigSchema } from '../src/config';
import { jsonlExporterFactory } from '../src/factory';

function issues(raw: unknown): string[] {
  const result = jsonlConfigSchema.safeParse(raw);
  assert.equal(result.success, false, 'the config should be refused');
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('jsonl config', () => {
  it("is registered as jsonl and under otelcol's name file", () => {
    assert.equal(jsonlExporterFactory.type, 'jsonl');
    assert.deepEqual(jsonlExporterFactory.aliases, ['file']);
    assert.equal(jsonlExporterFactory.kind, 'exporter');
    assert.ok(jsonlExporterFactory.unsupportedKeys?.encoding);
  });

  it('applies the documented defaults', () => {
    const config = jsonlConfigSchema.parse({ path: 'logs.jsonl' });
    assert.equal(config.append, false);
    assert.equal(config.format, 'json');
    assert.equal(config.rotation, undefined, 'no rotation unless asked, as otelcol');
    assert.equal(config.create_directory, true);
    assert.equal(config.flush_interval, 1000);
    assert.equal(config.compression, 'none');
    assert.deepEqual(config.group_by, { enabled: false, resource_attribute: 'fileexporter.path_segment', max_open_files: 100 });
  });

  it('reads a null rotation section as rotation with defaults', () => {
    const config = jsonlConfigSchema.parse({ path: 'logs.jsonl', rotation: null });
    assert.deepEqual(config.rotation, { max_megabytes: 100, max_days: 0, max_backups: 100, localtime: false, compress: 'gzip' });
  });

  it('refuses an empty path, proto, zstd and typos with clear messages', () => {
    assert.match(issues({ path: '' }).join('\n'), /path: is required/);
    assert.match(issues({ path: 'a', format: 'proto' }).join('\n'), /format: format "proto" is not supported, use json or flat/);
    assert.match(issues({ path: 'a', compression: 'zstd' }).join('\n'), /compression: .*zstd.*use "gzip"/);
    assert.match(issues({ path: 'a', rotation: { max_megabyte: 1 } }).join('\n'), /max_megabyte/);
  });

  it('needs exactly one * in the path when group_by is enabled', () => {
    assert.match(issues({ path: 'logs.jsonl', group_by: { enabled: true } }).join('\n'), /path: needs exactly one "\*"/);
    assert.doesNotThrow(() => jsonlConfigSchema.parse({ path: 'logs/*.jsonl', group_by: { enabled: true } }));
  });
});
