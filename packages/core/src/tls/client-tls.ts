import type { ConnectionOptions } from 'node:tls';
import type { TlsClientConfig } from '../config/schema';
import { certKeyPairError, loadTlsFiles, type TlsFileRef } from '@sluice/pdata';

/**
 * A client `tls` block as Node TLS options: the files read and checked once at start, a missing,
 * unreadable or mismatched one a coded error naming the key.
 */
export function loadClientTls(tls: TlsClientConfig, where: string): ConnectionOptions {
  const pairError = certKeyPairError(tls, 'client', `${where}.tls.`);
  if (pairError) throw pairError;
  const ref = (key: string, path: string | undefined): TlsFileRef | undefined =>
    path === undefined ? undefined : { setting: `${where}.tls.${key}`, path };
  const { ca, cert, key } = loadTlsFiles({
    ca: ref('ca_file', tls.ca_file),
    cert: ref('cert_file', tls.cert_file),
    key: ref('key_file', tls.key_file),
  });
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(tls.server_name_override ? { servername: tls.server_name_override } : {}),
    rejectUnauthorized: !tls.insecure_skip_verify,
    minVersion: `TLSv${tls.min_version}` as ConnectionOptions['minVersion'],
    ...(tls.max_version ? { maxVersion: `TLSv${tls.max_version}` as ConnectionOptions['maxVersion'] } : {}),
  };
}
