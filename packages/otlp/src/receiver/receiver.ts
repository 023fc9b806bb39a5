import * as grpc from '@grpc/grpc-js';
import * as https from 'node:https';
import {
  findServerAuthenticator,
  parseHostPort,
  receiverMetrics,
  secureContextOptions,
  type CreateSettings,
  type Host,
  type LogsConsumer,
  type Receiver,
  type TlsServerConfig,
} from '@sluice/core';
import { SluiceError, isBindError } from '@sluice/pdata';
import type { OtlpReceiverConfig } from './config';
import { OtlpGrpcServer } from './grpc';
import { ReloadingServerCredentials } from './grpc-credentials';
import { OtlpHttpServer, type CreateHttpServer } from './http';
import { TlsReloader } from './tls-reloader';

/** The `otlp` receiver: gRPC and/or HTTP listeners feeding the same pipelines. */
export class OtlpReceiver implements Receiver {
  private grpcServer: OtlpGrpcServer | undefined;
  private httpServer: OtlpHttpServer | undefined;
  private stopping: Promise<void> | undefined;
  private readonly reloaders: TlsReloader[] = [];

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: OtlpReceiverConfig,
    private readonly next: LogsConsumer,
  ) {}

  async start(host: Host): Promise<void> {
    const metrics = receiverMetrics(this.settings.telemetry);
    const counters = (transport: string) => ({
      accepted: (n: number) => metrics.accepted.inc({ receiver: this.settings.id, transport }, n),
      refused: (n: number) => metrics.refused.inc({ receiver: this.settings.id, transport }, n),
    });
    const { grpc: grpcConfig, http: httpConfig } = this.config.protocols;
    if (grpcConfig) {
      const where = `receivers.${this.settings.id}.protocols.grpc`;
      const authenticator = findServerAuthenticator(host, grpcConfig.auth?.authenticator, where);
      let credentials: grpc.ServerCredentials | undefined;
      if (grpcConfig.tls) credentials = new ReloadingServerCredentials(this.tlsReloader(grpcConfig.tls, where));
      this.grpcServer = new OtlpGrpcServer(grpcConfig, this.next, counters('grpc'), this.settings.logger, authenticator, credentials);
      const { host: bindHost, port } = parseHostPort(grpcConfig.endpoint)!;
      const address = await this.grpcServer.start(bindHost, port).catch((err: Error) => {
        throw new SluiceError('SLUICE_BIND_FAILED', `${where}.endpoint ${grpcConfig.endpoint}: ${err.message}`);
      });
      this.settings.onListening?.(`${this.settings.id}/grpc`, address);
    }
    if (httpConfig) {
      const where = `receivers.${this.settings.id}.protocols.http`;
      const authenticator = findServerAuthenticator(host, httpConfig.auth?.authenticator, where);
      let createServer: CreateHttpServer | undefined;
      if (httpConfig.tls) {
        const reloader = this.tlsReloader(httpConfig.tls, where);
        createServer = (options, listener) => {
          const mtls = reloader.current.clientCa !== undefined;
          const server = https.createServer(
            // A client that never finishes its handshake is cut as one that never sends its headers.
            {
              ...options,
              ...secureContextOptions(reloader.current),
              requestCert: mtls,
              rejectUnauthorized: mtls,
              handshakeTimeout: httpConfig.read_header_timeout,
            },
            listener,
          );
          reloader.onChange((material) => server.setSecureContext(secureContextOptions(material)));
          return server;
        };
      }
      this.httpServer = new OtlpHttpServer(httpConfig, this.next, counters('http'), this.settings.logger, authenticator, createServer);
      const { host: bindHost, port } = parseHostPort(httpConfig.endpoint)!;
      const address = await this.httpServer.start(bindHost, port).catch((err: Error) => {
        throw isBindError(err) ? new SluiceError('SLUICE_BIND_FAILED', `${where}.endpoint ${httpConfig.endpoint}: ${err.message}`) : err;
      });
      this.settings.onListening?.(`${this.settings.id}/http`, address);
    }
  }

  shutdown(): Promise<void> {
    for (const reloader of this.reloaders) reloader.stop();
    this.stopping ??= Promise.all([this.grpcServer?.shutdown(), this.httpServer?.shutdown()]).then(() => undefined);
    return this.stopping;
  }

  private tlsReloader(config: TlsServerConfig, where: string): TlsReloader {
    const reloader = new TlsReloader(config, where, this.settings.logger);
    reloader.start();
    this.reloaders.push(reloader);
    return reloader;
  }
}
