import { credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { ConnectionConfig } from './config';
import type { TokenSource } from './options';

async function currentToken(token: TokenSource): Promise<string> {
  return typeof token === 'function' ? await token() : token;
}

/**
 * Over TLS the token is a call credential: grpc-js asks for it on every call, so a function
 * token can rotate. Call credentials cannot ride on a plaintext channel, so there (only when the
 * app allowed it) the token goes into the static metadata, read once.
 */
function grpcSecurity(connection: ConnectionConfig): { credentials: ChannelCredentials; metadata: Metadata } {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(connection.headers)) metadata.set(name.toLowerCase(), value);
  const token = connection.token;
  if (connection.plaintext) {
    if (typeof token === 'string') metadata.set('authorization', `Bearer ${token}`);
    return { credentials: credentials.createInsecure(), metadata };
  }
  const channel = credentials.createSsl(connection.ca ?? null, connection.key ?? null, connection.cert ?? null);
  if (token === undefined) return { credentials: channel, metadata };
  const perCall = credentials.createFromMetadataGenerator((_params, callback) => {
    currentToken(token).then(
      (value) => {
        const auth = new Metadata();
        auth.set('authorization', `Bearer ${value}`);
        callback(null, auth);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  });
  return { credentials: credentials.combineChannelCredentials(channel, perCall), metadata };
}

/** The official OTLP exporter for the chosen protocol, with our security settings. */
export function createOtlpExporter(connection: ConnectionConfig, timeoutMillis: number): LogRecordExporter {
  if (connection.protocol === 'grpc') {
    return new GrpcLogExporter({ url: connection.url, timeoutMillis, ...grpcSecurity(connection) });
  }
  const token = connection.token;
  return new ProtoLogExporter({
    url: connection.url,
    timeoutMillis,
    // The exporter calls this before every request: the token can rotate.
    headers: async () => {
      const headers = { ...connection.headers };
      if (token !== undefined) headers.authorization = `Bearer ${await currentToken(token)}`;
      return headers;
    },
    httpAgentOptions: { keepAlive: true, ca: connection.ca, cert: connection.cert, key: connection.key },
  });
}
