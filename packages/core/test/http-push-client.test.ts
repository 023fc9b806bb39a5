import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tlsClientSchema } from '../src/config/schema';
import { HttpPushClient } from '../src/exporterhelper/http-push-client';

const request = { body: Buffer.from('x'), contentType: 'text/plain' };

describe('HttpPushClient', () => {
  let server: Server;
  let answer: (res: ServerResponse) => void;

  beforeEach(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const client = (extra: Partial<ConstructorParameters<typeof HttpPushClient>[0]> = {}) =>
    new HttpPushClient({
      url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/push`),
      where: 'exporters.test',
      retryableStatus: (status) => status >= 500,
      ...extra,
    });

  it('reads only the start of a huge error body: the reason is cut, and the rest is never downloaded', async () => {
    const total = 256 * 1024 * 1024;
    let finished: boolean | undefined;
    const closed = new Promise<void>((resolve) => {
      answer = (res) => {
        res.writeHead(500, { 'content-type': 'text/html', 'content-length': total });
        res.on('close', () => {
          finished = res.writableFinished;
          resolve();
        });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const write = () => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', write);
          }
          res.end();
        };
        write();
      };
    });
    const http = client();
    const outcome = await http.post(request);
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.retryable && outcome.status === '500');
    assert.ok(!outcome.ok && outcome.reason.length < 1100 && /answered 500: a+$/.test(outcome.reason), 'reason cut at 1024 characters');
    await closed;
    assert.equal(finished, false, 'the connection was closed before the server could send the whole body');
    await http.close();
  });

  it('still reads a whole 2xx body (a partial success)', async () => {
    answer = (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('b'.repeat(200_000));
    let length = 0;
    const http = client({
      accepted: (body) => {
        length = body.length;
        return { ok: true };
      },
    });
    assert.deepEqual(await http.post(request), { ok: true });
    assert.equal(length, 200_000);
    await http.close();
  });

  it('turns a TLS file that a lazy start cannot load into a permanent outcome, never a throw', async () => {
    const http = client({ tls: tlsClientSchema.parse({ ca_file: '/nonexistent/ca.pem' }) });
    const outcome = await http.post(request);
    assert.deepEqual(outcome, {
      ok: false,
      retryable: false,
      reason: 'SLUICE_CONFIG_INVALID_VALUE: exporters.test.tls.ca_file: cannot read /nonexistent/ca.pem: ENOENT',
    });
    await http.close();
  });
});
