import type { SecureContextOptions } from 'node:tls';
import type { TlsServerConfig } from '../config/schema';
import { certKeyPairError, loadTlsFiles } from '@sluice/pdata';

export interface ServerTlsMaterial {
  key: Buffer;
  cert: Buffer;
  /** CA bundle that client certificates must chain to; set when mTLS is on. */
  clientCa: Buffer | undefined;
  minVersion: SecureContextOptions['minVersion'];
  maxVersion: SecureContextOptions['maxVersion'];
}

/**
 * A server `tls` block's files, read and checked (see loadTlsFiles) at start and at each reload, so
 * a bad file is found then rather than at the first handshake.
 */
export function loadServerTls(config: TlsServerConfig, where: string): ServerTlsMaterial {
  const pairError = certKeyPairError(config, 'server', `${where}.tls.`);
  if (pairError) throw pairError;
  const files = loadTlsFiles({
    cert: { setting: `${where}.tls.cert_file`, path: config.cert_file! },
    key: { setting: `${where}.tls.key_file`, path: config.key_file! },
    ca: config.client_ca_file ? { setting: `${where}.tls.client_ca_file`, path: config.client_ca_file } : undefined,
  });
  return {
    cert: files.cert!,
    key: files.key!,
    clientCa: files.ca,
    minVersion: `TLSv${config.min_version}` as SecureContextOptions['minVersion'],
    maxVersion: config.max_version ? (`TLSv${config.max_version}` as SecureContextOptions['maxVersion']) : undefined,
  };
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
