/**
 * What a start refuses before binding or connecting — extension references, TLS files, token
 * files — `sluice validate` refuses too, with the same located error; and the start itself
 * refuses it the same way.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testCerts } from './support/certs';
import { runSluice } from './support/child-collector';
import { tempDir } from './support/collector';

interface Parts {
  /** Lines under `receivers.otlp.protocols.http:`. */
  http?: string[];
  /** Lines under `exporters.loki:`. */
  loki?: string[];
  /** Lines under `extensions:`. */
  extensions?: string[];
  serviceExtensions?: string[];
}

/** One pipeline otlp → loki, ports 0, no self-metrics endpoint: nothing binds a fixed port even if a start got that far. */
function configText(parts: Parts): string {
  const indent = (lines: string[] | undefined, spaces: number) => (lines ?? []).map((line) => ' '.repeat(spaces) + line).join('\n');
  return `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
${indent(parts.http, 8)}
exporters:
  loki:
    endpoint: http://127.0.0.1:9/loki/api/v1/push
${indent(parts.loki, 4)}
extensions:
${indent(parts.extensions, 2)}
service:
  extensions: [${(parts.serviceExtensions ?? []).join(', ')}]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [loki]
`;
}

interface Case {
  name: string;
  parts: (dir: string) => Parts;
  code: string;
  key: string;
  /** The line is found as the first line containing this text. */
  lineWith: string;
  detail: RegExp;
}

describe('sluice validate runs the checks a start runs', function () {
  this.timeout(60_000);
  let tmp: { dir: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'not-a-directory'), 'x');
  });
  after(() => tmp.cleanup());

  const certs = testCerts();
  const serverTls = (overrides: Record<string, string> = {}) => {
    const files = { cert_file: certs.serverCert, key_file: certs.serverKey, ...overrides };
    return ['tls:', ...Object.entries(files).map(([key, file]) => `  ${key}: ${file}`)];
  };

  const cases: Case[] = [
    {
      name: 'sending_queue.storage naming an extension that is not configured',
      parts: () => ({ loki: ['sending_queue:', '  storage: file_storage/missing'] }),
      code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      key: 'exporters.loki.sending_queue.storage',
      lineWith: 'storage: file_storage/missing',
      detail: /"file_storage\/missing" is not configured under extensions/,
    },
    {
      name: 'sending_queue.storage naming an extension that is not a storage extension',
      parts: () => ({
        loki: ['sending_queue:', '  storage: health_check'],
        extensions: ['health_check:', '  endpoint: 127.0.0.1:0'],
        serviceExtensions: ['health_check'],
      }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'exporters.loki.sending_queue.storage',
      lineWith: 'storage: health_check',
      detail: /"health_check" \(health_check\) is not a storage extension/,
    },
    {
      name: 'sending_queue.storage naming a storage extension not listed in service.extensions',
      parts: (dir) => ({
        loki: ['sending_queue:', '  storage: file_storage'],
        extensions: ['file_storage:', `  directory: ${join(dir, 'queue')}`],
      }),
      code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      key: 'exporters.loki.sending_queue.storage',
      lineWith: 'storage: file_storage',
      detail: /not listed in service\.extensions/,
    },
    {
      name: 'a receiver auth.authenticator that is not configured',
      parts: () => ({ http: ['auth:', '  authenticator: bearertokenauth'] }),
      code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      key: 'receivers.otlp.protocols.http.auth.authenticator',
      lineWith: 'authenticator: bearertokenauth',
      detail: /"bearertokenauth" is not configured under extensions/,
    },
    {
      name: 'a receiver auth.authenticator that is not a server authenticator',
      parts: (dir) => ({
        http: ['auth:', '  authenticator: file_storage'],
        extensions: ['file_storage:', `  directory: ${join(dir, 'queue')}`],
        serviceExtensions: ['file_storage'],
      }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'receivers.otlp.protocols.http.auth.authenticator',
      lineWith: 'authenticator: file_storage',
      detail: /is not a server authenticator/,
    },
    {
      name: 'an exporter auth.authenticator that is not a client authenticator',
      parts: () => ({
        loki: ['auth:', '  authenticator: health_check'],
        extensions: ['health_check:', '  endpoint: 127.0.0.1:0'],
        serviceExtensions: ['health_check'],
      }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'exporters.loki.auth.authenticator',
      lineWith: 'authenticator: health_check',
      detail: /is not a client authenticator/,
    },
    {
      name: 'an exporter auth.authenticator not listed in service.extensions',
      parts: () => ({ loki: ['auth:', '  authenticator: bearertokenauth'], extensions: ['bearertokenauth:', '  token: secret'] }),
      code: 'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      key: 'exporters.loki.auth.authenticator',
      lineWith: 'authenticator: bearertokenauth',
      detail: /"bearertokenauth" is not listed in service\.extensions/,
    },
    {
      name: 'a missing server cert_file',
      parts: (dir) => ({ http: serverTls({ cert_file: join(dir, 'no-such-cert.pem') }) }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'receivers.otlp.protocols.http.tls.cert_file',
      lineWith: 'no-such-cert.pem',
      detail: /cannot read .*no-such-cert\.pem: ENOENT/,
    },
    {
      name: 'a missing client_ca_file',
      parts: (dir) => ({ http: serverTls({ client_ca_file: join(dir, 'no-such-ca.pem') }) }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'receivers.otlp.protocols.http.tls.client_ca_file',
      lineWith: 'no-such-ca.pem',
      detail: /ENOENT/,
    },
    {
      name: 'a key that does not match its certificate',
      parts: () => ({ http: serverTls({ key_file: certs.clientKey }) }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'receivers.otlp.protocols.http.tls.key_file',
      lineWith: `key_file: ${certs.clientKey}`,
      detail: /client-key\.pem does not match the certificate in .*server\.pem/,
    },
    {
      name: 'an exporter client certificate without its key',
      parts: () => ({ loki: ['tls:', `  cert_file: ${certs.clientCert}`] }),
      code: 'SLUICE_CONFIG_REQUIRED',
      key: 'exporters.loki.tls.key_file',
      lineWith: 'tls:',
      detail: /a client certificate needs both cert_file and key_file/,
    },
    {
      name: 'a missing exporter ca_file',
      parts: (dir) => ({ loki: ['tls:', `  ca_file: ${join(dir, 'no-such-loki-ca.pem')}`] }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'exporters.loki.tls.ca_file',
      lineWith: 'no-such-loki-ca.pem',
      detail: /ENOENT/,
    },
    {
      name: 'an unreadable exporter key_file (a directory)',
      parts: (dir) => ({ loki: ['tls:', `  cert_file: ${certs.clientCert}`, `  key_file: ${dir}`] }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'exporters.loki.tls.key_file',
      lineWith: 'key_file:',
      detail: /EISDIR/,
    },
    {
      name: 'a bearertokenauth token file that is missing',
      parts: (dir) => ({
        http: ['auth:', '  authenticator: bearertokenauth'],
        extensions: ['bearertokenauth:', `  filename: ${join(dir, 'no-such-token')}`],
        serviceExtensions: ['bearertokenauth'],
      }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'extensions.bearertokenauth.filename',
      lineWith: 'no-such-token',
      detail: /cannot read .*no-such-token: ENOENT/,
    },
    {
      name: 'a file_storage directory that cannot be created (a file stands on its path)',
      parts: (dir) => ({
        extensions: ['file_storage:', `  directory: ${join(dir, 'not-a-directory', 'queue')}`],
        serviceExtensions: ['file_storage'],
      }),
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      key: 'extensions.file_storage.directory',
      lineWith: 'not-a-directory',
      detail: /cannot be created: ".*not-a-directory" is not a directory/,
    },
  ];

  it('passes the base config these cases break, so each case fails for its own reason', async () => {
    const path = join(tmp.dir, 'base.yaml');
    await writeFile(path, configText({ http: serverTls(), loki: ['tls:', `  ca_file: ${certs.caCert}`] }));
    const { code, stderr } = await runSluice(['validate', '--config', path]);
    assert.equal(code, 0, stderr);
  });

  cases.forEach((c, index) => {
    it(`refuses ${c.name}, located, in validate and at start alike`, async () => {
      const text = configText(c.parts(tmp.dir));
      const path = join(tmp.dir, `case-${index}.yaml`);
      await writeFile(path, text);
      const line = text.split('\n').findIndex((l) => l.includes(c.lineWith)) + 1;
      assert.ok(line > 0, `"${c.lineWith}" in the config`);

      const found = (stderr: string) => stderr.split('\n').find((l) => l.startsWith(`${c.code}: ${c.key} (${path}:${line}:`));
      const validate = await runSluice(['validate', '--config', path]);
      assert.equal(validate.code, 1, `validate exit code; stderr: ${validate.stderr}`);
      const validateLine = found(validate.stderr);
      assert.ok(validateLine, `"${c.code}: ${c.key} (${path}:${line}:..." in:\n${validate.stderr}`);
      assert.match(validateLine, c.detail);

      const start = await runSluice(['--config', path]);
      assert.equal(start.code, 1, `start exit code; stderr: ${start.stderr}`);
      assert.equal(found(start.stderr), validateLine);
    });
  });
});
