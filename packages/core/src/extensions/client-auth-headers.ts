import type { Host } from '../component';
import type { AuthConfig } from '../config/schema';
import { SluiceError } from '@sluice/pdata';
import { isClientAuthenticator, type ClientAuthenticator } from './contracts';

/**
 * An exporter's `auth.authenticator`: the extension is found on the host at start (a name that is
 * not a client authenticator is a coded error), and its headers are asked on every request,
 * since tokens rotate. Without `auth`, there are no headers.
 */
export class ClientAuthHeaders {
  private authenticator: ClientAuthenticator | undefined;

  constructor(
    /** The exporter's id, for the error. */
    private readonly componentId: string,
    private readonly config: AuthConfig | undefined,
  ) {}

  resolve(host: Host): void {
    if (!this.config) return;
    const extension = host.getExtension(this.config.authenticator);
    if (!isClientAuthenticator(extension)) {
      throw new SluiceError(
        'SLUICE_CONFIG_UNDEFINED_COMPONENT',
        `exporter ${this.componentId}: auth.authenticator "${this.config.authenticator}" is not a configured client authenticator extension (e.g. bearertokenauth)`,
      );
    }
    this.authenticator = extension;
  }

  headers(): Record<string, string> {
    return this.authenticator?.headers() ?? {};
  }
}
