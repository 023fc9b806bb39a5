import assert from 'node:assert/strict';
import { tlsClientSchema, tlsServerSchema } from '../src/config/schema';
import { loadClientTls } from '../src/tls/client-tls';
import { loadServerTls } from '../src/tls/server-tls';
import { TlsFileError, loadTlsFiles } from '@sluice/pdata';

/** The TlsFileError `fn` throws, for its structured fields. */
function tlsError(fn: () => unknown): TlsFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TlsFileError, String(err));
    return err;
  }
  assert.fail('no error thrown');
}

describe('TLS files: structured errors', () => {
  it('names the setting apart from the detail, and both in the message', () => {
    const err = tlsError(() => loadTlsFiles({ ca: { setting: 'exporters.loki.tls.ca_file', path: '/nonexistent/ca.pem' } }));
    assert.equal(err.code, 'SLUICE_CONFIG_INVALID_VALUE');
    assert.equal(err.setting, 'exporters.loki.tls.ca_file');
    assert.equal(err.detail, 'cannot read /nonexistent/ca.pem: ENOENT');
    assert.equal(err.message, 'SLUICE_CONFIG_INVALID_VALUE: exporters.loki.tls.ca_file: cannot read /nonexistent/ca.pem: ENOENT');
  });

  it('has no setting for material given as bytes', () => {
    const err = tlsError(() => loadTlsFiles({}, { ca: Buffer.from('not pem') }));
    assert.equal(err.setting, undefined);
    assert.match(err.detail, /^the ca given is not a PEM certificate/);
  });

  it('applies one pair rule in both loaders, naming the missing setting', () => {
    const client = tlsError(() => loadClientTls(tlsClientSchema.parse({ cert_file: '/some/cert.pem' }), 'exporters.loki'));
    assert.equal(client.code, 'SLUICE_CONFIG_REQUIRED');
    assert.equal(client.setting, 'exporters.loki.tls.key_file');
    assert.equal(client.detail, 'a client certificate needs both cert_file and key_file');

    const server = tlsError(() => loadServerTls(tlsServerSchema.parse({ key_file: '/some/key.pem' }), 'receivers.otlp.protocols.http'));
    assert.equal(server.code, 'SLUICE_CONFIG_REQUIRED');
    assert.equal(server.setting, 'receivers.otlp.protocols.http.tls.cert_file');
    assert.equal(server.detail, 'a server tls block needs both cert_file and key_file');
  });
});
