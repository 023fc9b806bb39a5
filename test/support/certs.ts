/**
 * Test certificates made with the `openssl` command: a CA, a server certificate for 127.0.0.1 and
 * localhost, a client certificate signed by the CA, and a second ("wrong") CA with its own client
 * certificate. EC P-256 keys keep generation quick; each directory is generated once per run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA the server does not trust, and a client certificate it signed. */
  wrongCaCert: string;
  wrongClientCert: string;
  wrongClientKey: string;
  /** A second server certificate (127.0.0.1, localhost) signed by the wrong CA: a renewed certificate in reload tests. */
  otherServerCert: string;
  otherServerKey: string;
}

const generated = new Map<string, TestCerts>();
let shared: TestCerts | undefined;

/** The certificates every test in this run shares, in a temp directory removed when the run ends. */
export function testCerts(): TestCerts {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-certs-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    shared = makeTestCerts(dir);
  }
  return shared;
}

export function makeTestCerts(dir: string): TestCerts {
  const cached = generated.get(dir);
  if (cached) return cached;
  const path = (name: string) => join(dir, name);
  const certs: TestCerts = {
    dir,
    caCert: path('ca.pem'),
    serverCert: path('server.pem'),
    serverKey: path('server-key.pem'),
    clientCert: path('client.pem'),
    clientKey: path('client-key.pem'),
    wrongCaCert: path('wrong-ca.pem'),
    wrongClientCert: path('wrong-client.pem'),
    wrongClientKey: path('wrong-client-key.pem'),
    otherServerCert: path('other-server.pem'),
    otherServerKey: path('other-server-key.pem'),
  };
  if (!existsSync(certs.otherServerCert)) {
    makeCa(dir, 'ca', 'Sluice Test CA');
    makeCa(dir, 'wrong-ca', 'Sluice Wrong CA');
    makeLeaf(dir, 'server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
    makeLeaf(dir, 'client', 'ca', 'sluice-test-client', 'extendedKeyUsage=clientAuth');
    makeLeaf(dir, 'wrong-client', 'wrong-ca', 'sluice-wrong-client', 'extendedKeyUsage=clientAuth');
    makeLeaf(dir, 'other-server', 'wrong-ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  }
  generated.set(dir, certs);
  return certs;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(cwd: string, keyFile: string): void {
  openssl(cwd, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
}

function makeCa(cwd: string, name: string, subject: string): void {
  newKey(cwd, `${name}-key.pem`);
  openssl(cwd, [
    'req',
    '-x509',
    '-new',
    '-key',
    `${name}-key.pem`,
    '-sha256',
    '-days',
    '2',
    '-subj',
    `/CN=${subject}`,
    '-out',
    `${name}.pem`,
  ]);
}

function makeLeaf(cwd: string, name: string, ca: string, commonName: string, extensions: string): void {
  newKey(cwd, `${name}-key.pem`);
  openssl(cwd, ['req', '-new', '-key', `${name}-key.pem`, '-subj', `/CN=${commonName}`, '-out', `${name}.csr`]);
  writeFileSync(join(cwd, `${name}.ext`), `${extensions}\n`);
  openssl(cwd, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
}
