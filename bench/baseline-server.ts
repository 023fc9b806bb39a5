import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The floor for any Node receiver: reads each request body and discards it, answering 200.
 * Run as a child process so its CPU is measured the same way as the collector's.
 */
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as AddressInfo;
  process.stdout.write(`  baseline http://127.0.0.1:${address.port}/v1/logs\n  logs → discarded\n`);
  process.stdout.write(' running (baseline)\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
