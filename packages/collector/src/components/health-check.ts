import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  endpoint,
  parseHostPort,
  section,
  type CreateSettings,
  type ExporterHealth,
  type ExtensionFactory,
  type Host,
  type PipelineWatcher,
} from '@sluice/core';
import { SluiceError } from '@sluice/pdata';

const healthCheckSchema = section({
  endpoint: endpoint('127.0.0.1:13133'),
  path: z.string().startsWith('/').default('/'),
});
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;

/** What the health endpoint reports: readiness, and each exporter's health (null: it keeps none). */
export interface HealthSnapshot {
  ready: boolean;
  readySince?: Date;
  exporters: ReadonlyMap<string, ExporterHealth | null>;
}

/**
 * otelcol's `health_check` extension: `GET <path>` answers 200 with a JSON status once every
 * pipeline is running and 503 while starting or stopping. Sluice adds `GET <path>health/<exporter id>`
 * with that exporter's delivery counters and last error. In a pipeline process of
 * `service.workers` > 1 it does not listen: the primary serves the workers' merged health.
 */
class HealthCheckExtension implements PipelineWatcher {
  private server: HealthServer | undefined;
  private ready_ = false;
  private readySince: Date | undefined;
  private host: Host | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: HealthCheckConfig,
  ) {}

  async start(host: Host): Promise<void> {
    this.host = host;
    if ((this.settings.worker?.count ?? 1) > 1) return;
    this.server = await startHealthServer(this.config, this.settings.id, () => Promise.resolve(this.snapshot()));
    this.settings.onListening?.(this.settings.id, this.server.address);
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
    await server?.close();
  }

  private snapshot(): HealthSnapshot {
    const exporters = new Map<string, ExporterHealth | null>();
    for (const [id, exporter] of this.host?.getExporters() ?? []) exporters.set(id, exporter.health?.() ?? null);
    return { ready: this.ready_, readySince: this.readySince, exporters };
  }
}

export interface HealthServer {
  readonly address: string;
  close(): Promise<void>;
}

/** Serves `config.path` and `<path>health/<exporter>` from `snapshot`; `id` names the extension in a bind error. */
export async function startHealthServer(
  config: HealthCheckConfig,
  id: string,
  snapshot: () => Promise<HealthSnapshot>,
): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    req.resume();
    snapshot().then(
      (state) => respond(res, config.path, (req.url ?? '/').split('?')[0]!, state),
      (err: Error) => json(res, 503, { status: 'Server not available', error: err.message }),
    );
  });
  const { host: bindHost, port } = parseHostPort(config.endpoint)!;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new SluiceError('SLUICE_BIND_FAILED', `extensions.${id}.endpoint ${config.endpoint}: ${err.message}`)),
    );
    server.listen(port, bindHost, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    address: `${address.address}:${address.port}`,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

function respond(res: http.ServerResponse, configPath: string, path: string, state: HealthSnapshot): void {
  const base = configPath.endsWith('/') ? configPath : configPath + '/';
  if (path === configPath) {
    const body =
      state.ready && state.readySince
        ? {
            status: 'Server available',
            upSince: state.readySince.toISOString(),
            uptime: `${((Date.now() - state.readySince.getTime()) / 1000).toFixed(3)}s`,
          }
        : { status: 'Server not available' };
    return json(res, state.ready ? 200 : 503, body);
  }
  if (path.startsWith(`${base}health/`)) {
    const id = decodeURIComponent(path.slice(`${base}health/`.length));
    const health = state.exporters.get(id);
    if (health === undefined) return json(res, 404, { error: `no exporter "${id}" is running` });
    if (health === null) return json(res, 200, { exporter: id, status: state.ready ? 'ok' : 'stopped' });
    return json(res, health.status === 'failing' ? 503 : 200, { exporter: id, ...health });
  }
  json(res, 404, { error: `${path} not found` });
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
