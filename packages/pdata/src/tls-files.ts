import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SluiceError, type ErrorCode } from './errors';

/** A file a TLS setting names, and that setting's name for messages (`exporters.loki.tls.ca_file`). */
export interface TlsFileRef {
  setting: string;
  path: string;
}

export interface TlsFileRefs {
  ca?: TlsFileRef;
  cert?: TlsFileRef;
  key?: TlsFileRef;
}

/** PEM bytes, as Node's TLS options take them. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * A problem with one TLS setting: `setting` names it (undefined for material given as bytes) and
 * `detail` says what is wrong without that name, for reports that locate the setting themselves.
 */
export class TlsFileError extends SluiceError {
  constructor(
    code: ErrorCode,
    readonly setting: string | undefined,
    readonly detail: string,
  ) {
    super(code, setting === undefined ? detail : `${setting}: ${detail}`);
  }
}

/**
 * The pair rule for a `tls` block: a server presents a certificate and its key; a client may
 * present one, but then needs both. The problem names the missing setting (`prefix` + `cert_file`
 * or `key_file`); undefined when the block keeps the rule.
 */
export function certKeyPairError(
  tls: { cert_file?: string; key_file?: string },
  side: 'server' | 'client',
  prefix = '',
): TlsFileError | undefined {
  const hasCert = Boolean(tls.cert_file);
  const hasKey = Boolean(tls.key_file);
  if (hasCert === hasKey && (hasCert || side === 'client')) return undefined;
  const detail =
    side === 'server' ? 'a server tls block needs both cert_file and key_file' : 'a client certificate needs both cert_file and key_file';
  return new TlsFileError('SLUICE_CONFIG_REQUIRED', `${prefix}${hasCert ? 'key_file' : 'cert_file'}`, detail);
}

/**
 * The one reader of TLS files, for clients, servers and the SDK alike. Reads the files and checks
 * them — each a readable PEM, and the key the one that belongs to the certificate — so a problem is
 * a TlsFileError naming the setting and the file at start (or reload), not a failed handshake later.
 * `given` holds material passed as bytes rather than as files: it is checked the same way.
 */
export function loadTlsFiles(files: TlsFileRefs, given: TlsMaterial = {}): TlsMaterial {
  const material: TlsMaterial = {
    ca: given.ca ?? read(files.ca),
    cert: given.cert ?? read(files.cert),
    key: given.key ?? read(files.key),
  };
  if (material.ca) check(files.ca, 'ca', () => new X509Certificate(material.ca!), 'is not a PEM certificate');
  const cert = material.cert ? check(files.cert, 'cert', () => new X509Certificate(material.cert!), 'is not a PEM certificate') : undefined;
  const key = material.key ? check(files.key, 'key', () => createPrivateKey(material.key!), 'is not a PEM private key') : undefined;
  if (cert && key && !cert.checkPrivateKey(key)) {
    const certName = files.cert?.path ?? 'the certificate given';
    throw new TlsFileError(
      'SLUICE_CONFIG_INVALID_VALUE',
      files.key?.setting,
      `${describe(files.key, 'key')} does not match the certificate in ${certName}`,
    );
  }
  return material;
}

function read(ref: TlsFileRef | undefined): Buffer | undefined {
  if (ref === undefined) return undefined;
  try {
    return readFileSync(ref.path);
  } catch (err) {
    throw new TlsFileError(
      'SLUICE_CONFIG_INVALID_VALUE',
      ref.setting,
      `cannot read ${ref.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function check<T extends X509Certificate | KeyObject>(ref: TlsFileRef | undefined, what: string, parse: () => T, problem: string): T {
  try {
    return parse();
  } catch (err) {
    throw new TlsFileError('SLUICE_CONFIG_INVALID_VALUE', ref?.setting, `${describe(ref, what)} ${problem} (${(err as Error).message})`);
  }
}

/** The file's path, or for bytes given directly, what they are. */
function describe(ref: TlsFileRef | undefined, what: string): string {
  return ref ? ref.path : `the ${what} given`;
}
