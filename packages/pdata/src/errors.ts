/**
 * The one catalogue of coded errors. Every error Sluice reports to a user carries a code from
 * here, so messages can be searched for, documented and asserted in tests.
 */

/** gRPC status codes (google.rpc.Code) that catalogue entries map to. */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAUTHENTICATED: 16,
} as const;

/**
 * A catalogue entry: what the code means and, for a code that refuses data sent to a receiver,
 * the status the receiver answers with (a retryable refusal goes out as RESOURCE_EXHAUSTED because
 * OTLP gRPC clients retry that with the RetryInfo the receiver attaches).
 */
export interface ErrorEntry {
  message: string;
  httpStatus?: number;
  grpcStatus?: number;
}

export const ErrorCodes = {
  // configuration
  SLUICE_CONFIG_READ: { message: 'cannot read a config file' },
  SLUICE_CONFIG_YAML: { message: 'a config file is not valid YAML' },
  SLUICE_CONFIG_UNKNOWN_KEY: { message: 'a key that no component or section accepts' },
  SLUICE_CONFIG_INVALID_VALUE: { message: 'a value of the wrong type or out of range' },
  SLUICE_CONFIG_REQUIRED: { message: 'a required key is missing or empty' },
  SLUICE_CONFIG_UNKNOWN_TYPE: { message: 'a component type that is not built in' },
  SLUICE_CONFIG_BAD_ID: { message: 'a component id that is not type[/name]' },
  SLUICE_CONFIG_UNDEFINED_COMPONENT: { message: 'a pipeline or reference names a component that is not configured' },
  SLUICE_CONFIG_PIPELINE: { message: 'a pipeline that cannot run as written' },
  SLUICE_CONFIG_UNSUPPORTED_KEY: { message: 'an otelcol key Sluice knows but does not implement' },
  SLUICE_CONFIG_ENV_UNSET: { message: 'an environment variable used in the config is not set' },
  SLUICE_CONFIG_UNUSED: { message: 'a configured component that no pipeline or service list uses' },
  SLUICE_CONFIG_INVALID: { message: 'a config that does not validate; each problem is listed with its own code' },
  SLUICE_CONFIG_OTTL: { message: 'an OTTL condition that cannot be compiled' },
  // the SDK's options (startLogBridge)
  SLUICE_SDK_INSECURE_TOKEN: { message: 'a bearer token would travel over a plaintext connection' },
  SLUICE_SDK_BAD_OPTION: { message: 'an option has a value the bridge cannot use' },
  // runtime
  SLUICE_BIND_FAILED: { message: 'a listener could not bind its address' },
  SLUICE_EXPORT_REFUSED: { message: 'an exporter refused data' },
  SLUICE_QUEUE_FULL: { message: 'a sending queue is full', httpStatus: 429, grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED },
  SLUICE_QUEUE_FORMAT: { message: 'a persistent queue directory holds data in a format this version does not read' },
  SLUICE_QUEUE_CORRUPT: { message: 'a persistent queue record read back from disk does not match its checksum' },
  SLUICE_MEMORY_LIMITED: {
    message: 'memory use is above the memory_limiter soft limit',
    httpStatus: 503,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  },
  SLUICE_SHUTTING_DOWN: { message: 'the component is shutting down', httpStatus: 503, grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED },
  SLUICE_WRITE_FAILED: { message: 'a file could not be written' },
  SLUICE_WORKER_FAILED: { message: 'a worker process (service.workers > 1) failed to start or exited with an error' },
  SLUICE_UNKNOWN_SIGNAL: { message: 'a signal name other than logs, metrics or traces', httpStatus: 400 },
  SLUICE_BAD_DATA: { message: 'the data cannot be decoded or is invalid', httpStatus: 400, grpcStatus: GrpcStatus.INVALID_ARGUMENT },
  SLUICE_INTERNAL: {
    message: 'a bug: a component failed with an error it does not report as a refusal',
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ErrorCodes;

/** What a retryable refusal goes out as when its code carries no statuses of its own. */
export const RETRYABLE_REFUSAL_STATUS = { httpStatus: 503, grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED } as const satisfies Omit<
  ErrorEntry,
  'message'
>;

/** An error with a catalogue code. The message starts with the code so logs stay greppable. */
export class SluiceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/**
 * Why a consumer refused data. `retryable` decides what the receiver tells the client, with the
 * statuses of the code's catalogue entry when it has them: retryable → HTTP 429/503, gRPC
 * RESOURCE_EXHAUSTED with RetryInfo (the client backs off and retries); permanent → HTTP 400, gRPC
 * INVALID_ARGUMENT (retrying would fail the same way); SLUICE_INTERNAL → HTTP 500, gRPC INTERNAL
 * (a bug: OTLP clients do not retry it).
 */
export class ConsumeError extends SluiceError {
  readonly retryable: boolean;
  /** A hint for the client's next attempt, when the refusing component knows one. */
  readonly retryAfterMs: number | undefined;
  /** How many log records were refused, when only part of the data was (partial_success). */
  readonly rejectedRecords: number | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { retryable: boolean; retryAfterMs?: number; rejectedRecords?: number; cause?: unknown },
  ) {
    super(code, detail, { cause: options.cause });
    this.name = 'ConsumeError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.rejectedRecords = options.rejectedRecords;
  }
}

export function retryableError(code: ErrorCode, detail: string, retryAfterMs?: number): ConsumeError {
  return new ConsumeError(code, detail, { retryable: true, retryAfterMs });
}

export function permanentError(code: ErrorCode, detail: string, rejectedRecords?: number): ConsumeError {
  return new ConsumeError(code, detail, { retryable: false, rejectedRecords });
}

/**
 * What a consumer's failure means for the sender. An operating-system error (an errno code such as
 * ENOSPC or ECONNRESET) is the environment's, so a retry can succeed; anything else that is not a
 * ConsumeError is a bug (a TypeError in a processor), refused as permanent SLUICE_INTERNAL —
 * retrying the same data would hit the same bug. Components whose failures are retryable say so
 * with a ConsumeError.
 */
export function asConsumeError(err: unknown): ConsumeError {
  if (err instanceof ConsumeError) return err;
  if (systemErrorCode(err) !== undefined) {
    return new ConsumeError('SLUICE_EXPORT_REFUSED', (err as Error).message, { retryable: true, cause: err });
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ConsumeError('SLUICE_INTERNAL', message, { retryable: false, cause: err });
}

/**
 * Of two refusals of the same data, the one the sender hears: a retryable one (a retry can
 * succeed), else a bug (500 / INTERNAL must not hide behind a 400), else the first permanent one —
 * so the answer never depends on the order in which parts of the data were refused.
 */
export function moreUrgentRefusal(chosen: ConsumeError | undefined, candidate: ConsumeError): ConsumeError {
  return chosen === undefined || urgency(candidate) > urgency(chosen) ? candidate : chosen;
}

function urgency(error: ConsumeError): number {
  if (error.retryable) return 2;
  return error.code === 'SLUICE_INTERNAL' ? 1 : 0;
}

/** The errno code of an operating-system error (`ENOSPC`, `EADDRINUSE`, ...), else undefined. */
export function systemErrorCode(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** True for an operating-system error from binding a listener: address in use, no permission, no such address. */
export function isBindError(err: unknown): boolean {
  const syscall = err instanceof Error ? (err as { syscall?: unknown }).syscall : undefined;
  return systemErrorCode(err) !== undefined && (syscall === 'listen' || syscall === 'bind' || syscall === 'getaddrinfo');
}
