/**
 * Checks the files a `tls` block names the way a TLS handshake setup would use them: each is
 * readable, certificates and keys parse, and the key belongs to the certificate. Only
 * node:crypto is used, so a bad file is found without opening a socket.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { StartProblem } from '../component';

export interface TlsFiles {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  client_ca_file?: string;
}

/** A server must present a certificate and key; a client may, but then needs both. */
export function checkTlsFiles(tls: TlsFiles, side: 'server' | 'client'): StartProblem[] {
  const problems: StartProblem[] = [];
  const hasCert = tls.cert_file !== undefined;
  const hasKey = tls.key_file !== undefined;
  if (side === 'server' && (!hasCert || !hasKey)) {
    problems.push({ path: [hasCert ? 'key_file' : 'cert_file'], code: 'SLUICE_CONFIG_REQUIRED', message: 'a server tls block needs both cert_file and key_file' });
  } else if (hasCert !== hasKey) {
    problems.push({ path: [hasCert ? 'key_file' : 'cert_file'], code: 'SLUICE_CONFIG_REQUIRED', message: 'a client certificate needs both cert_file and key_file' });
  }

  const parse = <T>(key: keyof TlsFiles, what: string, read: (pem: Buffer) => T): T | undefined => {
    const file = tls[key];
    if (file === undefined) return undefined;
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (err) {
      problems.push({ path: [key], code: 'SLUICE_CONFIG_INVALID_VALUE', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return undefined;
    }
    try {
      return read(pem);
    } catch (err) {
      problems.push({ path: [key], code: 'SLUICE_CONFIG_INVALID_VALUE', message: `${file} is not ${what} (${(err as Error).message})` });
      return undefined;
    }
  };
  parse('ca_file', 'a PEM certificate', (pem) => new X509Certificate(pem));
  parse('client_ca_file', 'a PEM certificate', (pem) => new X509Certificate(pem));
  const cert = parse('cert_file', 'a PEM certificate', (pem) => new X509Certificate(pem));
  const key: KeyObject | undefined = parse('key_file', 'a PEM private key', (pem) => createPrivateKey(pem));
  if (cert && key && !cert.checkPrivateKey(key)) {
    problems.push({ path: ['key_file'], code: 'SLUICE_CONFIG_INVALID_VALUE', message: `${tls.key_file} does not match the certificate in ${tls.cert_file}` });
  }
  return problems;
}
