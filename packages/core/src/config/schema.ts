/**
 * Building blocks for component config schemas, so every component reads durations, endpoints,
 * TLS and auth the same way otelcol does.
 */
import { z } from 'zod';

/**
 * A config section: `null` (written as `batch:` with nothing under it) or absent means all
 * defaults, as in otelcol. Strict, so a typo'd key is an error with a suggestion.
 */
export function section<T extends z.ZodRawShape>(shape: T) {
  return z.preprocess((value) => (value === null || value === undefined ? {} : value), z.object(shape).strict());
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;

/** Parses a Go-style duration (`5s`, `200ms`, `1m30s`, `0`) into milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (trimmed === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = DURATION_PART.exec(trimmed)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed = DURATION_PART.lastIndex;
  }
  return consumed === trimmed.length ? total : undefined;
}

/** A duration in milliseconds, written as otelcol writes them (`5s`, `100ms`, `1m30s`). */
export function duration(defaultValue?: string) {
  const schema = z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === 'number') {
      if (value === 0) return 0;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a duration needs a unit, e.g. "${value}s" or "${value}ms"` });
      return z.NEVER;
    }
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${value}" is not a duration (use e.g. 5s, 200ms, 1m30s)` });
      return z.NEVER;
    }
    return ms;
  });
  return defaultValue === undefined ? schema : schema.default(defaultValue);
}

/** A non-empty string: an env var that expanded to "" fails here with SLUICE_CONFIG_REQUIRED. */
export function requiredString() {
  return z.string({ required_error: 'is required' }).min(1, { message: 'is required and must not be empty' });
}

/** `host:port` (or `:port`, `[::1]:port`); port 0 asks the OS for a free port. */
export function endpoint(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .superRefine((value, ctx) => {
      if (!parseHostPort(value)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${value}" is not host:port (e.g. 127.0.0.1:4318, 0.0.0.0:0)` });
      }
    });
}

export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** A reference to an authenticator extension: `auth: { authenticator: bearertokenauth }`. */
export const authSchema = section({ authenticator: requiredString() });

const tlsVersion = z.enum(['1.0', '1.1', '1.2', '1.3']);

/** otelcol's server-side `tls` block (configtls.ServerConfig). */
export const tlsServerSchema = section({
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  ca_file: z.string().optional(),
  client_ca_file: z.string().optional(),
  min_version: tlsVersion.default('1.2'),
  max_version: tlsVersion.optional(),
  reload_interval: duration().optional(),
  include_system_ca_certs_pool: z.boolean().optional(),
  cipher_suites: z.array(z.string()).optional(),
});

/** otelcol's client-side `tls` block (configtls.ClientConfig). */
export const tlsClientSchema = section({
  insecure: z.boolean().default(false),
  insecure_skip_verify: z.boolean().default(false),
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  server_name_override: z.string().optional(),
  min_version: tlsVersion.default('1.2'),
  max_version: tlsVersion.optional(),
  reload_interval: duration().optional(),
  include_system_ca_certs_pool: z.boolean().optional(),
  cipher_suites: z.array(z.string()).optional(),
});

export type AuthConfig = z.infer<typeof authSchema>;
export type TlsServerConfig = z.infer<typeof tlsServerSchema>;
export type TlsClientConfig = z.infer<typeof tlsClientSchema>;
