import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Telemetry } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';

/** Serves the Prometheus exposition at `/metrics` (otelcol's pull reader). */
export async function startMetricsServer(
  telemetry: Telemetry,
  host: string,
  port: number,
): Promise<{ address: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    telemetry.scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': telemetry.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new SluiceError('SLUICE_BIND_FAILED', `service.telemetry.metrics ${host}:${port}: ${err.message}`)),
    );
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
