// `@sluice/core/light`: the part of core an application may load. It pulls in no zod, yaml or
// prom-client (the collector's config and telemetry stack), so the SDK shares these pieces with the
// collector without adding their load time to every app's start.

export { ExponentialBackoff } from './exporterhelper/backoff';
export { RateLimitedWarner } from './rate-limited-warner';
export { loadTlsFiles } from './tls/tls-files';
export type { TlsFileRef, TlsFileRefs, TlsMaterial } from './tls/tls-files';
