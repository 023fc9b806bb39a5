/**
 * What extensions offer other components. A receiver finds its authenticator with
 * `host.getExtension(config.auth.authenticator)` and checks it with the guards below.
 */
import type { Extension } from '../component';

export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type AuthResult =
  | { ok: true; auth?: Record<string, string> }
  /** `reason` is safe to show the client (it never contains the credential); `challenge` is the WWW-Authenticate value. */
  | { ok: false; reason: string; challenge: string };

/** Checks incoming requests (otelcol's server authenticator). Synchronous: it runs on every request. */
export interface ServerAuthenticator extends Extension {
  authenticate(headers: IncomingHeaders): AuthResult;
}

/** Adds credentials to outgoing requests (otelcol's client authenticator). Called per request, so tokens can rotate. */
export interface ClientAuthenticator extends Extension {
  headers(): Record<string, string>;
}

/** Gives components a private directory on disk (otelcol's storage extension, e.g. `file_storage`). */
export interface StorageExtension extends Extension {
  /** A directory owned by this component, created if missing; stable across restarts. */
  directoryFor(kind: string, componentId: string, purpose: string): Promise<string>;
  /** The disk budget for everything under this extension, in bytes (0 = unbounded). */
  readonly maxSizeBytes: number;
}

export function isServerAuthenticator(ext: Extension | undefined): ext is ServerAuthenticator {
  return !!ext && typeof (ext as Partial<ServerAuthenticator>).authenticate === 'function';
}

export function isClientAuthenticator(ext: Extension | undefined): ext is ClientAuthenticator {
  return !!ext && typeof (ext as Partial<ClientAuthenticator>).headers === 'function';
}

export function isStorageExtension(ext: Extension | undefined): ext is StorageExtension {
  return !!ext && typeof (ext as Partial<StorageExtension>).directoryFor === 'function';
}

/** Told when the pipelines are ready to take data and when they stop (otelcol's PipelineWatcher), e.g. by health_check. */
export interface PipelineWatcher extends Extension {
  ready(): void;
  notReady(): void;
}

export function isPipelineWatcher(ext: Extension | undefined): ext is PipelineWatcher {
  return (
    !!ext &&
    typeof (ext as Partial<PipelineWatcher>).ready === 'function' &&
    typeof (ext as Partial<PipelineWatcher>).notReady === 'function'
  );
}
