import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  endpoint,
  parseHostPort,
  section,
  type CreateSettings,
  type ExtensionFactory,
  type Host,
  type PipelineWatcher,
} from '@sluice/core';
import { SluiceError } from '@sluice/pdata';

const healthCheckSchema = section({
  endpoint: endpoint('127.0.0.1:13133'),
  path: z.string().startsWith('/').default('/'),
});
type HealthCheckConfig = z.infer<typeof healthCheckSchema>;

/**
 * otelcol's `health_check` extension: `GET <path>` answers 200 with a JSON status once every
 * pipeline is running and 503 while starting or stopping. Sluice adds `GET <path>health/<exporter id>`
 * with that exporter's delivery counters and last error.
 */
class HealthCheckExtension implements PipelineWatcher {
  private server: http.Server | undefined;
  private ready_ = false;
  private readySince: Date | undefined;
  private host: Host | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: HealthCheckConfig,
  ) {}

  async start(host: Host): Promise<void> {
    this.host = host;
    const server = http.createServer((req, res) => this.handle(req, res));
    const { host: bindHost, port } = parseHostPort(this.config.endpoint)!;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new SluiceError('SLUICE_BIND_FAILED', `extensions.${this.settings.id}.endpoint ${this.config.endpoint}: ${err.message}`)),
      );
      server.listen(port, bindHost, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.settings.onListening?.(this.settings.id, `${address.address}:${address.port}`);
  }

  ready(): void {
    this.ready_ = true;
    this.readySince = new Date();
  }

  notReady(): void {
    this.ready_ = false;
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const path = (req.url ?? '/').split('?')[0]!;
    const base = this.config.path.endsWith('/') ? this.config.path : this.config.path + '/';
    if (path === this.config.path) {
      const body = this.ready_
        ? {
            status: 'Server available',
            upSince: this.readySince!.toISOString(),
            uptime: `${((Date.now() - this.readySince!.getTime()) / 1000).toFixed(3)}s`,
          }
        : { status: 'Server not available' };
      return json(res, this.ready_ ? 200 : 503, body);
    }
    if (path.startsWith(`${base}health/`)) {
      const id = decodeURIComponent(path.slice(`${base}health/`.length));
      const exporter = this.host?.getExporters().get(id);
      if (!exporter) return json(res, 404, { error: `no exporter "${id}" is running` });
      if (!exporter.health) return json(res, 200, { exporter: id, status: this.ready_ ? 'ok' : 'stopped' });
      const health = exporter.health();
      return json(res, health.status === 'failing' ? 503 : 200, { exporter: id, ...health });
    }
    json(res, 404, { error: `${path} not found` });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  aliases: ['healthcheckv2'],
  description: 'HTTP health endpoint (200 when ready, 503 otherwise) with per-exporter health',
  configSchema: healthCheckSchema,
  unsupportedKeys: {
    check_collector_pipeline: { effect: 'ignore', why: 'deprecated in otelcol; readiness already covers the pipelines' },
    response_body: { effect: 'ignore', why: 'Sluice always answers with a JSON status' },
    tls: { effect: 'ignore', why: 'the health endpoint is plain HTTP; keep it on a private address' },
  },
  create: (settings, config) => new HealthCheckExtension(settings, config),
};
