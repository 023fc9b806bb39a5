import assert from 'node:assert/strict';
import * as net from 'node:net';
import { z } from 'zod';
import { createMemoryLogger, section, type ExtensionFactory } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';
import { builtinComponents, startCollector } from '../src';

/** An extension whose start fails as `mode` says; `listen` binds `port` itself, unwrapped. */
const failingExtensionFactory: ExtensionFactory<{ mode: 'bug' | 'coded' | 'listen'; port: number }> = {
  kind: 'extension',
  type: 'failing',
  description: 'test: fails to start',
  configSchema: section({ mode: z.enum(['bug', 'coded', 'listen']), port: z.number().default(0) }),
  create: (_settings, config) => {
    let server: net.Server | undefined;
    return {
      start: async () => {
        if (config.mode === 'bug') throw new TypeError('undefined is not a function');
        if (config.mode === 'coded') throw new SluiceError('SLUICE_WRITE_FAILED', 'cannot create the state directory');
        server = net.createServer();
        await new Promise<void>((resolve, reject) => {
          server!.once('error', reject);
          server!.listen(config.port, '127.0.0.1', resolve);
        });
      },
      shutdown: () => {
        server?.close();
        return Promise.resolve();
      },
    };
  },
};

function config(extension: string): string {
  return `
extensions:
  failing: ${extension}
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  debug: {}
service:
  extensions: [failing]
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
`;
}

function start(extension: string) {
  return startCollector({
    configText: config(extension),
    logger: createMemoryLogger(),
    registry: builtinComponents().register(failingExtensionFactory),
  });
}

describe('startCollector: start failures keep their own code', function () {
  it('a bug is rethrown as it is, not labelled SLUICE_BIND_FAILED', async () => {
    await assert.rejects(
      start('{ mode: bug }'),
      (err: unknown) => err instanceof TypeError && err.message === 'undefined is not a function',
    );
  });

  it('a coded error keeps its code', async () => {
    await assert.rejects(start('{ mode: coded }'), (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_WRITE_FAILED');
  });

  it('an address already in use is SLUICE_BIND_FAILED', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await assert.rejects(start(`{ mode: listen, port: ${port} }`), (err: unknown) => {
        assert.ok(err instanceof SluiceError);
        assert.equal(err.code, 'SLUICE_BIND_FAILED');
        assert.match(err.message, /EADDRINUSE/);
        return true;
      });
    } finally {
      taken.close();
    }
  });
});
