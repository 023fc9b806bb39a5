/**
 * The `file_admin` extension: the running collector's jsonl files over HTTP. A wipe goes through
 * the exporter that writes the files, so it never interleaves with a write or a rotation (a wipe
 * on disk next to a running collector can). Off unless configured; 127.0.0.1 by default; behind
 * a server authenticator (`auth: { authenticator: bearertokenauth }`) as the receivers are.
 *
 *   GET    /files?server=S&signal=logs    the rows `sluice files list --json` prints
 *   DELETE /files?server=S&signal=logs    wipe; answers {"removed": <files>}
 *   POST   /files/wipe?server=S&signal=…  the same, for clients that cannot send DELETE
 *
 * An empty or absent `server` / `signal` matches everything.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  authSchema,
  endpoint,
  findServerAuthenticator,
  parseHostPort,
  section,
  type CreateSettings,
  type Extension,
  type ExtensionFactory,
  type Host,
  type ServerAuthenticator,
} from '@sluice/core';
import { ErrorCodes, SluiceError } from '@sluice/pdata';
import type { z } from 'zod';
import { JsonlExporter } from './exporter';
import { checkSignal, fileListJson, type FileListRow, type FileSelector } from './file-inventory';

/**
 * 13134: next to health_check's 13133 (both are operator endpoints), and not the default of any
 * otelcol component (4317/4318 OTLP, 8888/8889 metrics, 13133 health, 1777 pprof, 55679 zpages).
 */
export const FILE_ADMIN_DEFAULT_ENDPOINT = '127.0.0.1:13134';

export const fileAdminSchema = section({
  endpoint: endpoint(FILE_ADMIN_DEFAULT_ENDPOINT),
  auth: authSchema.optional(),
});
export type FileAdminConfig = z.infer<typeof fileAdminSchema>;

class FileAdminExtension implements Extension {
  private server: http.Server | undefined;
  private host: Host | undefined;
  private authenticator: ServerAuthenticator | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: FileAdminConfig,
  ) {}

  async start(host: Host): Promise<void> {
    this.host = host;
    this.authenticator = findServerAuthenticator(host, this.config.auth?.authenticator, `extensions.${this.settings.id}`);
    const server = http.createServer((req, res) => {
      req.resume();
      this.handle(req).then(
        ({ status, body, headers }) => respond(res, status, body, headers),
        (err: unknown) => {
          const coded = err instanceof SluiceError;
          if (!coded) this.settings.logger.error('file_admin request failed', { error: (err as Error).message });
          const status = coded ? ((ErrorCodes[err.code] as { httpStatus?: number }).httpStatus ?? 500) : 500;
          respond(res, status, json({ code: coded ? err.code : 'SLUICE_INTERNAL', error: (err as Error).message }));
        },
      );
    });
    const { host: bindHost, port } = parseHostPort(this.config.endpoint)!;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new SluiceError('SLUICE_BIND_FAILED', `extensions.${this.settings.id}.endpoint ${this.config.endpoint}: ${err.message}`)),
      );
      server.listen(port, bindHost, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.settings.onListening?.(
      this.settings.id,
      `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    );
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage): Promise<Answer> {
    // A web page can POST to 127.0.0.1 without a preflight (a form, `no-cors`): browsers mark such
    // requests with Origin / Sec-Fetch-Site, operators' clients (curl, the CLI) do not.
    if (req.headers.origin !== undefined || (req.headers['sec-fetch-site'] ?? 'none') !== 'none') {
      return { status: 403, body: json({ error: 'requests from web pages are refused' }) };
    }
    if (this.authenticator) {
      const result = this.authenticator.authenticate(req.headers);
      if (!result.ok) return { status: 401, body: json({ error: result.reason }), headers: { 'WWW-Authenticate': result.challenge } };
    }
    const url = new URL(req.url ?? '/', 'http://file-admin');
    const selector: FileSelector = {
      server: url.searchParams.get('server') ?? undefined,
      signal: url.searchParams.get('signal') ?? undefined,
    };
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /files') {
      checkSignal(selector.signal);
      const rows: FileListRow[] = [];
      for (const [id, exporter] of this.jsonlExporters())
        for (const entry of await exporter.inventory(selector)) rows.push({ exporter: id, ...entry });
      return { status: 200, body: fileListJson(rows) };
    }
    if (route === 'DELETE /files' || route === 'POST /files/wipe') {
      checkSignal(selector.signal);
      let removed = 0;
      for (const [, exporter] of this.jsonlExporters()) removed += await exporter.wipe(selector);
      this.settings.logger.info('files wiped', { server: selector.server || '*', signal: selector.signal || '*', removed });
      return { status: 200, body: json({ removed }) };
    }
    if (url.pathname === '/files' || url.pathname === '/files/wipe') {
      return {
        status: 405,
        body: json({ error: `${req.method} is not allowed here` }),
        headers: { Allow: url.pathname === '/files' ? 'GET, DELETE' : 'POST' },
      };
    }
    return { status: 404, body: json({ error: `${url.pathname} not found; use GET or DELETE /files, or POST /files/wipe` }) };
  }

  private jsonlExporters(): Array<[string, JsonlExporter]> {
    const found: Array<[string, JsonlExporter]> = [];
    for (const [id, exporter] of this.host?.getExporters() ?? []) if (exporter instanceof JsonlExporter) found.push([id, exporter]);
    return found;
  }
}

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

function json(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

function respond(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export const fileAdminExtensionFactory: ExtensionFactory<FileAdminConfig> = {
  kind: 'extension',
  type: 'file_admin',
  description: 'HTTP inventory and wipe of the files of the running jsonl exporters (wipes never interleave with writes)',
  configSchema: fileAdminSchema,
  create: (settings, config) => new FileAdminExtension(settings, config),
};
