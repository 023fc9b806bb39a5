/**
 * A `tls` block checked as start would load it — through the one TLS loader — but reported as
 * located problems (one per key) instead of a thrown error, so `sluice validate` lists them all.
 */
import type { StartProblem } from '../component';
import { TlsFileError, certKeyPairError, loadTlsFiles, type TlsFileRefs } from '@sluice/pdata';

export interface TlsFileSettings {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  client_ca_file?: string;
}

/** Each file readable and PEM, the key matching the certificate, and the pair rule (certKeyPairError) kept. */
export function checkTlsFiles(tls: TlsFileSettings, side: 'server' | 'client'): StartProblem[] {
  const problems: StartProblem[] = [];
  const pairError = certKeyPairError(tls, side);
  if (pairError) problems.push({ path: [pairError.setting!], code: pairError.code, message: pairError.detail });
  const ref = (key: keyof TlsFileSettings) => (tls[key] === undefined ? undefined : { setting: key, path: tls[key] });
  const attempt = (key: keyof TlsFileSettings, files: TlsFileRefs): boolean => {
    try {
      loadTlsFiles(files);
      return true;
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      // The located path names the setting: the message is the detail alone.
      problems.push({ path: [key], code: err.code, message: err.detail });
      return false;
    }
  };
  attempt('ca_file', { ca: ref('ca_file') });
  attempt('client_ca_file', { ca: ref('client_ca_file') });
  const certReadable = attempt('cert_file', { cert: ref('cert_file') });
  const keyReadable = attempt('key_file', { key: ref('key_file') });
  // Each file is fine on its own: what is left is whether the key belongs to the certificate.
  if (certReadable && keyReadable && tls.cert_file !== undefined && tls.key_file !== undefined)
    attempt('key_file', { cert: ref('cert_file'), key: ref('key_file') });
  return problems;
}
