import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SluiceError } from '@sluice/pdata';

/** What a metrics endpoint serves: the collector's own telemetry, or a prometheus exporter's metrics. */
export interface ScrapeSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

/**
 * Serves a Prometheus exposition at `/metrics` (otelcol's pull reader, and the prometheus
 * exporter). `what` names the config key in a bind error.
 */
export async function startMetricsServer(
  source: ScrapeSource,
  host: string,
  port: number,
  what = 'service.telemetry.metrics',
): Promise<{ address: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    source.scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': source.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new SluiceError('SLUICE_BIND_FAILED', `${what} ${host}:${port}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    address: `${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
