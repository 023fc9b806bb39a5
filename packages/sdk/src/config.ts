import { loadTlsFiles, type TlsFileRef } from '@sluice/pdata';
import { SluiceError } from '@sluice/pdata';
import type { LogBridgeOptions, TokenSource } from './options';

type Env = Record<string, string | undefined>;

/** Where and how to connect, after options and OTEL_EXPORTER_OTLP_* variables are combined. */
export interface ConnectionConfig {
  protocol: 'grpc' | 'http/protobuf';
  /** gRPC: the endpoint as given (the exporter strips the scheme); HTTP: the full logs URL. */
  url: string;
  plaintext: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: TokenSource;
  headers: Record<string, string>;
}

export interface BatchConfig {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';
const DEFAULT_HTTP_ENDPOINT = 'http://localhost:4318';

/** The variable that sets `suffix`: the signal-specific one wins over the generic one, as the OTLP exporter spec says. */
function envVariable(env: Env, suffix: string): { name: string; value: string } | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_LOGS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function fromEnv(env: Env, suffix: string): string | undefined {
  return envVariable(env, suffix)?.value;
}

/** A TLS file named by an option or, failing that, by its OTEL_EXPORTER_OTLP_* variable. */
function tlsFile(option: string, path: string | undefined, env: Env, suffix: string): TlsFileRef | undefined {
  if (path !== undefined) return { setting: `tls.${option}`, path };
  const variable = envVariable(env, suffix);
  return variable && { setting: variable.name, path: variable.value };
}

function resolveProtocol(options: LogBridgeOptions, env: Env): 'grpc' | 'http/protobuf' {
  const protocol = options.protocol ?? fromEnv(env, 'PROTOCOL') ?? 'grpc';
  if (protocol !== 'grpc' && protocol !== 'http/protobuf') {
    throw new SluiceError('SLUICE_SDK_BAD_OPTION', `protocol must be 'grpc' or 'http/protobuf', got '${protocol}'`);
  }
  return protocol;
}

/** The HTTP logs URL: an explicit or signal-specific endpoint is used as given unless it has no path. */
function httpUrl(options: LogBridgeOptions, env: Env): string {
  const given = options.endpoint ?? env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT?.trim();
  if (given) {
    const url = new URL(given);
    return url.pathname === '/' ? `${url.origin}/v1/logs` : given;
  }
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || DEFAULT_HTTP_ENDPOINT;
  return `${base.replace(/\/+$/, '')}/v1/logs`;
}

/**
 * gRPC security follows the spec: the scheme decides (http → plaintext, https → TLS); without a
 * scheme OTEL_EXPORTER_OTLP_INSECURE decides. The `insecure` option overrides all of that.
 */
function isPlaintext(options: LogBridgeOptions, url: string, env: Env): boolean {
  if (options.insecure !== undefined) return options.insecure;
  if (url.startsWith('http://')) return true;
  if (url.startsWith('https://')) return false;
  return fromEnv(env, 'INSECURE')?.toLowerCase() === 'true';
}

export function resolveConnection(options: LogBridgeOptions, env: Env = process.env): ConnectionConfig {
  const protocol = resolveProtocol(options, env);
  const url = protocol === 'grpc' ? (options.endpoint ?? fromEnv(env, 'ENDPOINT') ?? DEFAULT_GRPC_ENDPOINT) : httpUrl(options, env);
  const plaintext = protocol === 'grpc' ? isPlaintext(options, url, env) : url.startsWith('http://');
  const token = options.token === '' ? undefined : options.token;
  if (token !== undefined && plaintext && !options.allowInsecureToken) {
    throw new SluiceError(
      'SLUICE_SDK_INSECURE_TOKEN',
      `refusing to send the token in clear text to ${url}; use TLS (an https:// endpoint) or set allowInsecureToken`,
    );
  }
  if (typeof token === 'function' && plaintext && protocol === 'grpc') {
    // grpc-js sends plaintext metadata fixed at connect time: a rotating token cannot rotate there.
    throw new SluiceError('SLUICE_SDK_BAD_OPTION', 'a token function needs TLS over gRPC; pass a string token for plaintext');
  }
  const tls = options.tls ?? {};
  const { ca, cert, key } = loadTlsFiles(
    {
      ca: tlsFile('caFile', tls.caFile, env, 'CERTIFICATE'),
      cert: tlsFile('certFile', tls.certFile, env, 'CLIENT_CERTIFICATE'),
      key: tlsFile('keyFile', tls.keyFile, env, 'CLIENT_KEY'),
    },
    { ca: tls.ca, cert: tls.cert, key: tls.key },
  );
  return {
    protocol,
    url,
    plaintext,
    ca,
    cert,
    key,
    token,
    // Headers from OTEL_EXPORTER_OTLP_HEADERS are merged in by the exporter itself (ours win).
    headers: { ...options.headers },
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new SluiceError('SLUICE_SDK_BAD_OPTION', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function resolveBatch(options: LogBridgeOptions, env: Env = process.env): BatchConfig {
  const envTimeout = fromEnv(env, 'TIMEOUT');
  const maxQueueSize = positive('maxQueueSize', options.maxQueueSize, 10_000);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(maxQueueSize, positive('maxExportBatchSize', options.maxExportBatchSize, 512)),
    scheduledDelayMillis: positive('scheduledDelayMillis', options.scheduledDelayMillis, 1000),
    exportTimeoutMillis: positive(
      'exportTimeoutMillis',
      options.exportTimeoutMillis ?? (envTimeout === undefined ? undefined : Number(envTimeout)),
      10_000,
    ),
  };
}
