import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { SluiceError } from '@sluice/pdata';
import type { TlsClientConfig } from './schema';

/**
 * A client `tls` block as Node TLS options: the files read once at start, a missing or
 * unreadable one a coded error naming the key.
 */
export async function loadClientTls(tls: TlsClientConfig, where: string): Promise<ConnectionOptions> {
  if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
    throw new SluiceError('SLUICE_CONFIG_REQUIRED', `${where}.tls: a client certificate needs both cert_file and key_file`);
  }
  const read = async (key: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `${where}.tls.${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca_file', tls.ca_file), read('cert_file', tls.cert_file), read('key_file', tls.key_file)]);
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
