import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';

export interface TestCerts {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCertFile: string;
  clientKeyFile: string;
  clientCert: Buffer;
  cleanup(): void;
}

function selfSigned(dir: string, name: string, subjectAltName: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${subjectAltName}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/**
 * A server certificate for 127.0.0.1 (its own CA) and a client certificate (also its own CA, for
 * mutual TLS), made with the openssl CLI.
 */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sdk-tls-'));
  const server = selfSigned(dir, 'server', 'IP:127.0.0.1');
  const client = selfSigned(dir, 'client', 'DNS:client');
  return {
    dir,
    caFile: server.cert,
    serverCertFile: server.cert,
    serverKeyFile: server.key,
    serverCert: readFileSync(server.cert),
    serverKey: readFileSync(server.key),
    clientCertFile: client.cert,
    clientKeyFile: client.key,
    clientCert: readFileSync(client.cert),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ReceivedExport {
  authorization: string | undefined;
  bytes: Buffer;
}

/**
 * A tiny OTLP/gRPC logs endpoint: it checks the bearer token the way a collector would and keeps
 * each request's raw protobuf (strings travel verbatim inside it, so tests can look for bodies).
 * Stands in for the collector until its TLS + auth support lands.
 */
export async function startGrpcSink(options: {
  credentials: ServerCredentials;
  acceptToken: (token: string | undefined) => boolean;
}): Promise<{ address: string; received: ReceivedExport[]; stop(): Promise<void> }> {
  const received: ReceivedExport[] = [];
  const server = new Server();
  const passThrough = (value: Buffer): Buffer => value;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    },
    {
      Export(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
        const header = call.metadata.get('authorization')[0];
        const authorization = header === undefined ? undefined : String(header);
        received.push({ authorization, bytes: call.request });
        const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
        if (!options.acceptToken(token)) {
          callback({ code: status.UNAUTHENTICATED, details: 'invalid bearer token' });
          return;
        }
        callback(null, Buffer.alloc(0)); // an empty ExportLogsServiceResponse: full success
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', options.credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    received,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
