import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { SluiceError, type TlsServerConfig } from '@sluice/core';

export interface ServerTlsMaterial {
  key: Buffer;
  cert: Buffer;
  /** CA bundle that client certificates must chain to; set when mTLS is on. */
  clientCa: Buffer | undefined;
  minVersion: SecureContextOptions['minVersion'];
  maxVersion: SecureContextOptions['maxVersion'];
}

/** Reads the certificate files a `tls` block names; a missing or unreadable file is a coded, named error. */
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
  const caPath = config.client_ca_file;
  return {
    cert: read('cert_file', config.cert_file),
    key: read('key_file', config.key_file),
    clientCa: caPath ? read('client_ca_file', caPath) : undefined,
    minVersion: `TLSv${config.min_version}` as SecureContextOptions['minVersion'],
    maxVersion: config.max_version ? (`TLSv${config.max_version}` as SecureContextOptions['maxVersion']) : undefined,
  };
}
