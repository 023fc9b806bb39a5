import assert from 'node:assert/strict';
import { tlsClientSchema } from '@sluice/core';
import { createLokiClient } from '../src';

describe('Loki client TLS files', function () {
  it('a missing ca_file is a coded error naming the exporter key and the file, not a bare ENOENT', () => {
    const client = createLokiClient({
      endpoint: 'https://127.0.0.1:1/loki/api/v1/push',
      tls: tlsClientSchema.parse({ ca_file: '/nonexistent/ca.pem' }),
      where: 'exporters.loki/eu',
    });
    assert.throws(
      () => client.start(),
      /^SluiceError: SLUICE_CONFIG_INVALID_VALUE: exporters\.loki\/eu\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem: ENOENT$/,
    );
  });
});
