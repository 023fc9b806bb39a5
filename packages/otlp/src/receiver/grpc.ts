import * as grpc from '@grpc/grpc-js';
import { errorStack, type Logger, type LogsConsumer, type ServerAuthenticator } from '@sluice/core';
import { SluiceError, asConsumeError, decodeLogsProtoRequest, type ClientContext, type WireDecoded } from '@sluice/pdata';
import { encodeExportResponseProto } from '../codec/export-response';
import type { OtlpGrpcConfig } from './config';
import { partialSuccess } from './partial-success';
import { encodeStatusProto, refusalStatus } from './status';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/**
 * The LogsService definition with identity (de)serialisers: the handler decodes the bytes
 * itself, so a malformed message becomes INVALID_ARGUMENT with a precise reason instead of a
 * generic deserialisation failure, and no intermediate message objects are built.
 */
const logsServiceDefinition: grpc.ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};

interface Metrics {
  accepted(records: number): void;
  refused(records: number): void;
}

/** OTLP/gRPC: `opentelemetry.proto.collector.logs.v1.LogsService/Export` on @grpc/grpc-js. */
export class OtlpGrpcServer {
  private server: grpc.Server | undefined;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly next: LogsConsumer,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly authenticator: ServerAuthenticator | undefined,
    private readonly credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  ) {}

  async start(host: string, port: number): Promise<string> {
    const options: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': Math.floor(this.config.max_recv_msg_size_mib * 1024 * 1024),
    };
    if (this.config.max_concurrent_streams !== undefined) options['grpc.max_concurrent_streams'] = this.config.max_concurrent_streams;
    const server = new grpc.Server(options);
    server.addService(logsServiceDefinition, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        void this.export(call, callback).catch((err: unknown) => {
          // Every refusal of the data is answered inside export(); this is a bug of the receiver's own.
          this.logger.error('the OTLP/gRPC receiver failed to answer a call', { error: errorStack(err) });
          callback({ code: grpc.status.INTERNAL, details: 'SLUICE_INTERNAL: the receiver failed to answer the call' });
        });
      },
    });
    this.server = server;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(target, this.credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    return host.includes(':') ? `[${host}]:${boundPort}` : `${host}:${boundPort}`;
  }

  /** Lets calls in flight finish (their data is being accepted), then closes; the service's shutdown_timeout bounds the wait. */
  async shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  private async export(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): Promise<void> {
    let auth: Record<string, string> | undefined;
    if (this.authenticator) {
      const result = this.authenticator.authenticate(metadataAsHeaders(call.metadata));
      if (!result.ok) return callback({ code: grpc.status.UNAUTHENTICATED, details: result.reason });
      auth = result.auth;
    }
    let decoded: WireDecoded;
    try {
      decoded = decodeLogsProtoRequest(call.request, this.next.wantsWireBytes === true);
    } catch (err) {
      const message = err instanceof SluiceError ? err.message : `cannot decode the request: ${(err as Error).message}`;
      return callback({ code: grpc.status.INVALID_ARGUMENT, details: message });
    }
    const { logs, logRecords: records } = decoded;
    const context: ClientContext = { address: peerAddress(call.getPeer()) };
    if (this.config.include_metadata) (context as { metadata?: Record<string, string[]> }).metadata = metadataAsLists(call.metadata);
    if (auth) (context as { auth?: Record<string, string> }).auth = auth;
    try {
      if (records > 0 || decoded.resourceLogs > 0) await this.next.consume(logs, context);
    } catch (err) {
      const error = asConsumeError(err);
      const partial = partialSuccess(error, records);
      if (partial) {
        this.metrics.refused(partial.rejectedLogRecords);
        this.metrics.accepted(records - partial.rejectedLogRecords);
        return callback(null, encodeExportResponseProto(partial));
      }
      this.metrics.refused(records);
      const status = refusalStatus(error).grpc;
      if (!error.retryable) return callback({ code: status, details: error.message });
      // RESOURCE_EXHAUSTED is retried by OTLP clients only with RetryInfo, so always send one.
      const retryDelayMs = error.retryAfterMs ?? 1000;
      const trailer = new grpc.Metadata();
      trailer.set('grpc-status-details-bin', encodeStatusProto(status, error.message, retryDelayMs));
      // grpc-js clients with a retry policy read the delay from this trailer instead.
      trailer.set('grpc-retry-pushback-ms', String(retryDelayMs));
      return callback({ code: status, details: error.message, metadata: trailer });
    }
    this.metrics.accepted(records);
    callback(null, encodeExportResponseProto());
  }
}

function metadataAsHeaders(metadata: grpc.Metadata): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') headers[key] = value;
  }
  return headers;
}

function metadataAsLists(metadata: grpc.Metadata): Record<string, string[]> {
  const lists: Record<string, string[]> = {};
  for (const key of Object.keys(metadata.getMap())) {
    if (key === 'authorization' || key.endsWith('-bin')) continue;
    lists[key] = metadata.get(key).map(String);
  }
  return lists;
}

/** grpc-js peers look like `ipv4:127.0.0.1:51234`, `ipv6:[::1]:51234` or `127.0.0.1:51234`. */
function peerAddress(peer: string): string {
  const withoutScheme = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(withoutScheme);
  if (bracketed) return bracketed[1]!;
  const colon = withoutScheme.lastIndexOf(':');
  return colon > 0 ? withoutScheme.slice(0, colon) : withoutScheme;
}
