import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { type TlsServerConfig } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';

export interface ServerTlsMaterial {
  key: Buffer;
  cert: Buffer;
  /** CA bundle that client certificates must chain to; set when mTLS is on. */
  clientCa: Buffer | undefined;
  minVersion: SecureContextOptions['minVersion'];
  maxVersion: SecureContextOptions['maxVersion'];
}

/**
 * Reads and checks the files a `tls` block names. Every problem — a missing file, a file that is
 * not PEM, a key that does not belong to the certificate — is a coded error naming the config key
 * and the file, so it is found at start (or at reload) rather than at the first handshake.
 */
export function loadServerTls(config: TlsServerConfig, where: string): ServerTlsMaterial {
  if (!config.cert_file || !config.key_file) {
    throw new SluiceError('SLUICE_CONFIG_REQUIRED', `${where}.tls needs both cert_file and key_file`);
  }
  const read = (key: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `${where}.tls.${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const check = (key: string, path: string, attempt: () => unknown, what: string) => {
    try {
      attempt();
    } catch (err) {
      throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `${where}.tls.${key}: ${path} ${what} (${(err as Error).message})`);
    }
  };
  const material: ServerTlsMaterial = {
    cert: read('cert_file', config.cert_file),
    key: read('key_file', config.key_file),
    clientCa: config.client_ca_file ? read('client_ca_file', config.client_ca_file) : undefined,
    minVersion: `TLSv${config.min_version}` as SecureContextOptions['minVersion'],
    maxVersion: config.max_version ? (`TLSv${config.max_version}` as SecureContextOptions['maxVersion']) : undefined,
  };
  check('cert_file', config.cert_file, () => new X509Certificate(material.cert), 'is not a PEM certificate');
  check('key_file', config.key_file, () => createSecureContext({ key: material.key }), 'is not a PEM private key');
  check('key_file', config.key_file, () => createSecureContext({ key: material.key, cert: material.cert }), `does not match the certificate in ${config.cert_file}`);
  if (material.clientCa) check('client_ca_file', config.client_ca_file!, () => new X509Certificate(material.clientCa!), 'is not a PEM certificate');
  return material;
}

/** Whether two loads read the same bytes: a reload with nothing new changes nothing. */
export function sameTlsFiles(a: ServerTlsMaterial, b: ServerTlsMaterial): boolean {
  const same = (x: Buffer | undefined, y: Buffer | undefined) => (x === undefined || y === undefined ? x === y : x.equals(y));
  return same(a.cert, b.cert) && same(a.key, b.key) && same(a.clientCa, b.clientCa);
}

/** The secure context options for both servers; a reload replaces the whole context, versions included. */
export function secureContextOptions(material: ServerTlsMaterial): SecureContextOptions {
  return {
    key: material.key,
    cert: material.cert,
    minVersion: material.minVersion,
    ...(material.maxVersion ? { maxVersion: material.maxVersion } : {}),
    ...(material.clientCa ? { ca: material.clientCa } : {}),
  };
}
