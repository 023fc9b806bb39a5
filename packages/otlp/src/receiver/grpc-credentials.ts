import * as grpc from '@grpc/grpc-js';
import { secureContextOptions } from '@sluice/core';
import type { TlsReloader } from './tls-reloader';

/**
 * gRPC server credentials fed by a TlsReloader. grpc-js's own `createSsl` can neither set
 * `min_version` nor change certificates while serving; subclassing ServerCredentials can do both:
 * the constructor options carry the TLS versions and client-certificate policy, and
 * `updateSecureContextOptions` hands renewed certificates to every listening server.
 */
export class ReloadingServerCredentials extends grpc.ServerCredentials {
  constructor(reloader: TlsReloader) {
    const material = reloader.current;
    const mtls = material.clientCa !== undefined;
    super(
      {
        requestCert: mtls,
        rejectUnauthorized: mtls,
        minVersion: material.minVersion,
        ...(material.maxVersion ? { maxVersion: material.maxVersion } : {}),
      },
      secureContextOptions(material),
    );
    reloader.onChange((next) => this.updateSecureContextOptions(secureContextOptions(next)));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}
