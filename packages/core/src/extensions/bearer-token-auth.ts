import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { z } from 'zod';
import type { CreateSettings, ExtensionFactory, StartProblem } from '../component';
import { section } from '../config/schema';
import { SluiceError } from '@sluice/pdata';
import type { AuthResult, ClientAuthenticator, IncomingHeaders, ServerAuthenticator } from './contracts';

const bearerTokenSchema = section({
  scheme: z.string().min(1).default('Bearer'),
  header: z.string().min(1).default('Authorization'),
  token: z.string().optional(),
  tokens: z.array(z.string().min(1, { message: 'a token must not be empty' })).optional(),
  filename: z.string().optional(),
}).superRefine((config, ctx) => {
  const sources = [config.token !== undefined, config.tokens !== undefined, config.filename !== undefined].filter(Boolean).length;
  if (sources !== 1) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'set exactly one of token, tokens or filename' });
  } else if (config.token !== undefined && config.token === '') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['token'], message: 'is required and must not be empty' });
  } else if (config.tokens !== undefined && config.tokens.length === 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tokens'], message: 'must list at least one token' });
  } else if (config.filename === '') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['filename'], message: 'is required and must not be empty' });
  }
});
type BearerTokenConfig = z.infer<typeof bearerTokenSchema>;

/** How often a token file is checked for rotation. */
const FILE_POLL_MS = 1000;

/**
 * otelcol's `bearertokenauth`: as a server authenticator it admits requests whose
 * Authorization header carries one of the tokens; as a client authenticator it adds the
 * first token to outgoing requests. A `filename` is re-read when it changes, so tokens rotate
 * without a restart. Tokens are compared in constant time and never logged.
 */
class BearerTokenAuth implements ServerAuthenticator, ClientAuthenticator {
  private digests: Buffer[] = [];
  private current = '';
  private readonly headerName: string;
  private readonly prefix: string;
  private watching = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BearerTokenConfig,
  ) {
    this.headerName = config.header.toLowerCase();
    this.prefix = `${config.scheme} `;
  }

  start(): Promise<void> {
    if (this.config.filename) {
      const result = readTokenFile(this.config.filename);
      if (!('token' in result)) return Promise.reject(new SluiceError(result.code, this.fileProblem(result.message)));
      this.setTokens([result.token]);
      watchFile(this.config.filename, { interval: FILE_POLL_MS, persistent: false }, this.onFileChange);
      this.watching = true;
    } else {
      this.setTokens(this.config.tokens ?? [this.config.token!]);
    }
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (this.watching) unwatchFile(this.config.filename!, this.onFileChange);
    this.watching = false;
    return Promise.resolve();
  }

  authenticate(headers: IncomingHeaders): AuthResult {
    const challenge = `${this.config.scheme} realm="sluice"`;
    const raw = headers[this.headerName];
    const value = typeof raw === 'object' ? raw[0] : raw;
    if (!value) return { ok: false, reason: `missing ${this.config.header} header`, challenge };
    if (!value.startsWith(this.prefix))
      return { ok: false, reason: `the ${this.config.header} header must use the ${this.config.scheme} scheme`, challenge };
    // Compare fixed-length digests so neither the token nor its length leaks through timing.
    const presented = digest(value.slice(this.prefix.length));
    let match = false;
    for (const expected of this.digests) match = timingSafeEqual(presented, expected) || match;
    return match
      ? { ok: true, auth: { scheme: this.config.scheme } }
      : { ok: false, reason: 'the bearer token is not valid', challenge: `${challenge}, error="invalid_token"` };
  }

  headers(): Record<string, string> {
    return { [this.config.header]: `${this.prefix}${this.current}` };
  }

  private setTokens(tokens: string[]): void {
    this.digests = tokens.map(digest);
    this.current = tokens[0]!;
  }

  private readonly onFileChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
    const result = readTokenFile(this.config.filename!);
    // At start a token file problem is fatal; on rotation the old token stays in use.
    if (!('token' in result)) {
      this.settings.logger.error(`${this.fileProblem(result.message)}; keeping the previous token`);
      return;
    }
    this.setTokens([result.token]);
    this.settings.logger.info('bearer token file changed; new token in use', { filename: this.config.filename });
  };

  private fileProblem(message: string): string {
    return `extensions.${this.settings.id}.filename: ${message}`;
  }
}

/** The token in `filename`, or why there is none; the start and config validation both read it here. */
function readTokenFile(filename: string): { token: string } | Omit<StartProblem, 'path'> {
  let token: string;
  try {
    token = readFileSync(filename, 'utf8').trim();
  } catch (err) {
    return {
      code: 'SLUICE_CONFIG_INVALID_VALUE',
      message: `cannot read ${filename}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
  return token === '' ? { code: 'SLUICE_CONFIG_REQUIRED', message: `${filename} is empty` } : { token };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export const bearerTokenAuthExtensionFactory: ExtensionFactory<BearerTokenConfig> = {
  kind: 'extension',
  type: 'bearertokenauth',
  description: 'bearer-token authentication for receivers (server) and exporters (client)',
  configSchema: bearerTokenSchema,
  provides: ['server_authenticator', 'client_authenticator'],
  checkStart: (config) => {
    if (config.filename === undefined) return [];
    const result = readTokenFile(config.filename);
    return 'token' in result ? [] : [{ path: ['filename'], ...result }];
  },
  create: (settings, config) => new BearerTokenAuth(settings, config),
};
