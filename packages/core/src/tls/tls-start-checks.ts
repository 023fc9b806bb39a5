/**
 * A `tls` block checked as start would load it — through the one TLS loader — but reported as
 * located problems (one per key) instead of a thrown error, so `sluice validate` lists them all.
 */
import { SluiceError } from '@sluice/pdata';
import type { StartProblem } from '../component';
import { loadTlsFiles, type TlsFileRefs } from './tls-files';

export interface TlsFileSettings {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  client_ca_file?: string;
}

/** A server must present a certificate and key; a client may, but then needs both. */
export function checkTlsFiles(tls: TlsFileSettings, side: 'server' | 'client'): StartProblem[] {
  const problems: StartProblem[] = [];
  const hasCert = tls.cert_file !== undefined;
  const hasKey = tls.key_file !== undefined;
  if (side === 'server' && (!hasCert || !hasKey)) {
    problems.push({
      path: [hasCert ? 'key_file' : 'cert_file'],
      code: 'SLUICE_CONFIG_REQUIRED',
      message: 'a server tls block needs both cert_file and key_file',
    });
  } else if (hasCert !== hasKey) {
    problems.push({
      path: [hasCert ? 'key_file' : 'cert_file'],
      code: 'SLUICE_CONFIG_REQUIRED',
      message: 'a client certificate needs both cert_file and key_file',
    });
  }
  const ref = (key: keyof TlsFileSettings) => (tls[key] === undefined ? undefined : { setting: key, path: tls[key] });
  const attempt = (key: keyof TlsFileSettings, files: TlsFileRefs): boolean => {
    try {
      loadTlsFiles(files);
      return true;
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      // The located path already names the setting: drop the loader's own `code: setting:` prefix.
      const message = err.message.slice(`${err.code}: `.length);
      problems.push({ path: [key], code: err.code, message: message.startsWith(`${key}: `) ? message.slice(key.length + 2) : message });
      return false;
    }
  };
  attempt('ca_file', { ca: ref('ca_file') });
  attempt('client_ca_file', { ca: ref('client_ca_file') });
  const certReadable = attempt('cert_file', { cert: ref('cert_file') });
  const keyReadable = attempt('key_file', { key: ref('key_file') });
  // Each file is fine on its own: what is left is whether the key belongs to the certificate.
  if (certReadable && keyReadable && hasCert && hasKey) attempt('key_file', { cert: ref('cert_file'), key: ref('key_file') });
  return problems;
}
