/** TLS material for the connection to the collector: files are read once at start. */
export interface TlsOptions {
  /** PEM file of the CA that signed the collector's certificate (a private CA). */
  caFile?: string;
  /** PEM client certificate, for mutual TLS. */
  certFile?: string;
  /** PEM private key of the client certificate, for mutual TLS. */
  keyFile?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** A bearer token, or a function asked for the current one before every export (so it can rotate). */
export type TokenSource = string | (() => string | Promise<string>);

export interface LogBridgeOptions {
  serviceName?: string;
  serviceVersion?: string;
  /** Becomes the `deployment.environment.name` resource attribute. */
  environment?: string;
  /** gRPC: `https://host:4317` (or `http://` for plaintext); HTTP: the base URL or the full `/v1/logs` URL. */
  endpoint?: string;
  protocol?: 'grpc' | 'http/protobuf';
  token?: TokenSource;
  tls?: TlsOptions;
  /** Plaintext connection. Only when asked: by this option, an `http://` endpoint or OTEL_EXPORTER_OTLP_INSECURE. */
  insecure?: boolean;
  /** Send the token over a plaintext connection anyway (it is refused otherwise). */
  allowInsecureToken?: boolean;
  headers?: Record<string, string>;
  /** Extra resource attributes; use semantic-convention names. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Adds `process.owner` (the OS user name). Off by default: it is personal data. */
  includeProcessOwner?: boolean;
  /** Records held in memory waiting for export; beyond it records are dropped and counted. Default 10,000. */
  maxQueueSize?: number;
  /** Default 512. */
  maxExportBatchSize?: number;
  /** Delay between two scheduled exports, default 1000 ms. */
  scheduledDelayMillis?: number;
  /** Time allowed for one export including retries, default 10,000 ms. */
  exportTimeoutMillis?: number;
  /** Records that could not be delivered are appended to this file as JSON lines. */
  fallbackFile?: string;
  /** Upper bound for the flush on shutdown, beforeExit and signals. Default 5,000 ms. */
  shutdownTimeoutMs?: number;
  /**
   * Also flush on SIGTERM / SIGINT, then exit as the signal would have. Default false: the app's
   * signal behaviour stays its own (beforeExit and `shutdown()` flush either way).
   */
  handleSignals?: boolean;
}
