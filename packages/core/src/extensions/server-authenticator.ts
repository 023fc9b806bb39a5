import type { Host } from '../component';
import { SluiceError } from '@sluice/pdata';
import { isServerAuthenticator, type ServerAuthenticator } from './contracts';

/**
 * The server authenticator an `auth.authenticator` names, found on the host at start; undefined
 * without `auth`. `where` locates the reference in messages (`receivers.otlp.protocols.http`).
 */
export function findServerAuthenticator(host: Host, id: string | undefined, where: string): ServerAuthenticator | undefined {
  if (id === undefined) return undefined;
  const extension = host.getExtension(id);
  if (!extension) {
    throw new SluiceError(
      'SLUICE_CONFIG_UNDEFINED_COMPONENT',
      `${where}.auth.authenticator: extension "${id}" is not configured and listed in service.extensions`,
    );
  }
  if (!isServerAuthenticator(extension)) {
    throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `${where}.auth.authenticator: extension "${id}" cannot authenticate requests`);
  }
  return extension;
}
