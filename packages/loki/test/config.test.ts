import assert from 'node:assert/strict';
import { lokiExporterFactory } from '../src';
import { DEFAULT_QUEUE_BYTES } from '@sluice/core';

const parse = (config: unknown) => lokiExporterFactory.configSchema.safeParse(config);

describe('loki exporter config', () => {
  it('applies the defaults', () => {
    const result = parse({ endpoint: 'http://127.0.0.1:3100/loki/api/v1/push' });
    assert.ok(result.success);
    const config = result.data;
    assert.equal(config.encoding, 'protobuf');
    assert.equal(config.format, 'json');
    assert.equal(config.max_request_bytes, 4 * 1024 * 1024);
    assert.equal(config.labels.max_values_per_label, 100);
    assert.equal(config.labels.level, false);
    assert.deepEqual(config.structured_metadata, { enabled: true, attributes: [] });
    assert.equal(config.timeout, 5000);
    assert.deepEqual([config.sending_queue.sizer, config.sending_queue.queue_size], ['bytes', DEFAULT_QUEUE_BYTES]);
  });

  it('takes structured_metadata: false (Loki 2) and an attribute list', () => {
    assert.deepEqual(parse({ endpoint: 'http://l/push', structured_metadata: false }).data?.structured_metadata, {
      enabled: false,
      attributes: [],
    });
    assert.deepEqual(parse({ endpoint: 'http://l/push', structured_metadata: { attributes: ['session.id'] } }).data?.structured_metadata, {
      enabled: true,
      attributes: ['session.id'],
    });
  });

  it('takes compression as a bool too (true = gzip), and labels.default_resource', () => {
    const json = { endpoint: 'http://l/push', encoding: 'json' };
    assert.equal(parse({ ...json, compression: true }).data?.compression, 'gzip');
    assert.equal(parse({ ...json, compression: false }).data?.compression, 'none');
    assert.equal(parse(json).data?.labels.default_resource, true);
    assert.equal(parse({ ...json, labels: { default_resource: false } }).data?.labels.default_resource, false);
  });

  const refused: Array<[string, unknown, RegExp]> = [
    ['a missing endpoint', {}, /required/],
    ['an endpoint that is not a URL', { endpoint: '127.0.0.1:3100' }, /not an http\(s\) URL/],
    ['gzip with protobuf', { endpoint: 'http://l/push', compression: 'gzip' }, /snappy-compressed/],
    [
      'trace_id as a label',
      { endpoint: 'http://l/push', labels: { attributes: { trace_id: null } } },
      /structured metadata, never to labels/,
    ],
    ['an unknown key', { endpoint: 'http://l/push', lables: {} }, /lables/],
  ];
  for (const [name, config, message] of refused) {
    it(`refuses ${name}`, () => {
      const result = parse(config);
      assert.equal(result.success, false);
      assert.match(JSON.stringify(result.error.issues), message);
    });
  }

  it('names the otelcol lokiexporter keys it does not implement', () => {
    const keys = lokiExporterFactory.unsupportedKeys!;
    assert.equal(keys.default_labels_enabled?.effect, 'ignore');
    assert.equal(keys.proxy_url?.effect, 'error');
  });
});
