import assert from 'node:assert/strict';
import { ServerCredentials } from '@grpc/grpc-js';
import pino from 'pino';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLogBridge } from '../src/index';
import { makeCerts, startGrpcSink, type TestCerts } from './helpers/grpc-sink';
import { runScript } from './helpers/child';
import { startTestCollector } from './helpers/collector';
import { readmeSnippet } from './helpers/readme-snippet';

const REPO = join(__dirname, '../../../..');

/** Captures what the bridge writes to stderr while `fn` runs. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved only to be put back as the very same function
  const original = process.stderr.write;
  let captured = '';
  process.stderr.write = (chunk: string | Uint8Array) => ((captured += String(chunk)), true);
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return captured;
}

/**
 * Against a stand-in sink where the test must see each call's Authorization header (a rotating
 * token; the plaintext metadata path), against the real collector everywhere else.
 */
describe('TLS, mutual TLS and bearer tokens', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeCerts();
  });
  after(() => certs.cleanup());

  it('sends over TLS with a custom CA and a rotating token as call credentials', async () => {
    const sink = await startGrpcSink({
      credentials: ServerCredentials.createSsl(null, [{ cert_chain: certs.serverCert, private_key: certs.serverKey }]),
      acceptToken: (token) => token === 'first' || token === 'second',
    });
    const tokens = ['first', 'second'];
    let calls = 0;
    const bridge = startLogBridge({
      serviceName: 'tls-test',
      endpoint: `https://${sink.address}`,
      tls: { caFile: certs.caFile },
      token: () => Promise.resolve(tokens[Math.min(calls++, 1)]!),
      handleSignals: false,
    });
    const log = pino({}, bridge.pinoStream());
    log.info('over tls one');
    await bridge.forceFlush();
    log.info('over tls two');
    await bridge.forceFlush();
    await bridge.shutdown();
    await sink.stop();
    assert.deepEqual(
      sink.received.map((r) => r.authorization),
      ['Bearer first', 'Bearer second'],
    );
    assert.ok(sink.received[0]!.bytes.includes('over tls one'));
    assert.deepEqual(bridge.stats(), { emitted: 2, exported: 2, dropped: 0, failed: 0, queued: 0 });
  });

  for (const readme of ['README.md', 'packages/sdk/README.md']) {
    it(`runs ${readme}'s snippet as written against the collector: TLS with ./ca.pem and SLUICE_TOKEN, delivered on exit`, async () => {
      const collector = await startTestCollector({
        tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
        token: 'readme-token',
      });
      try {
        copyFileSync(certs.caFile, join(certs.dir, 'ca.pem'));
        // The one change: the README's placeholder endpoint becomes the test collector's.
        const snippet = readmeSnippet(join(REPO, readme), 'sdk-quickstart');
        assert.ok(snippet.includes("'https://collector.example:4317'"), snippet);
        const script = join(certs.dir, 'readme-snippet.js');
        writeFileSync(script, snippet.replace("'https://collector.example:4317'", `'https://${collector.grpc}'`));
        // The snippet sits in a temp directory; its imports resolve from the repository.
        const result = await runScript(
          script,
          { SLUICE_TOKEN: 'readme-token', NODE_PATH: join(REPO, 'node_modules') },
          undefined,
          certs.dir,
        );
        assert.equal(result.code, 0, result.stderr);
        const records = await collector.waitForRecords(1);
        assert.deepEqual(
          records.map((r) => [r.body, r.attributes, r.resource?.['service.name']]),
          [['order placed', { order: 'o-1' }, 'checkout']],
        );
      } finally {
        await collector.stop();
      }
    });
  }

  it('presents a client certificate for mutual TLS to the collector', async () => {
    const collector = await startTestCollector({
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.clientCertFile },
      token: 'mtls-token',
    });
    try {
      const options = { endpoint: `https://${collector.grpc}`, token: 'mtls-token', handleSignals: false, exportTimeoutMillis: 3_000 };
      const withCert = startLogBridge({
        ...options,
        tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      });
      withCert.logger().emit({ body: 'mtls ok' });
      await withCert.shutdown();
      assert.equal(withCert.stats().exported, 1);
      assert.deepEqual(
        (await collector.waitForRecords(1)).map((r) => r.body),
        ['mtls ok'],
      );

      const withoutCert = startLogBridge({ ...options, tls: { caFile: certs.caFile } });
      withoutCert.logger().emit({ body: 'no client cert' });
      await captureStderr(() => withoutCert.shutdown());
      assert.equal(withoutCert.stats().failed, 1, 'the collector refuses a client without a certificate');
    } finally {
      await collector.stop();
    }
  });

  it('refuses at start a client key that does not belong to the client certificate, naming both files', () => {
    assert.throws(
      () =>
        startLogBridge({
          endpoint: 'https://127.0.0.1:1',
          handleSignals: false,
          tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.serverKeyFile },
        }),
      (err: Error) =>
        err.message.startsWith('SLUICE_CONFIG_INVALID_VALUE: tls.keyFile: ') &&
        err.message.includes(`${certs.serverKeyFile} does not match the certificate in ${certs.clientCertFile}`),
    );
  });

  for (const protocol of ['grpc', 'http/protobuf'] as const) {
    it(`a wrong token is a counted failure and one stderr warning, never an exception in the app (collector, ${protocol})`, async () => {
      const collector = await startTestCollector({ tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile }, token: 'right' });
      try {
        const bridge = startLogBridge({
          endpoint: `https://${protocol === 'grpc' ? collector.grpc : collector.http}`,
          protocol,
          tls: { caFile: certs.caFile },
          token: 'wrong',
          handleSignals: false,
        });
        const log = pino({}, bridge.pinoStream());
        const stderr = await captureStderr(async () => {
          log.info('first');
          await bridge.forceFlush();
          log.info('second');
          await bridge.forceFlush();
        });
        await bridge.shutdown();
        const stats = bridge.stats();
        assert.equal(stats.failed, 2);
        assert.equal(stats.exported, 0);
        assert.match(stats.lastError?.message ?? '', /UNAUTHENTICATED|Unauthorized|401|invalid/i);
        assert.equal(stderr.match(/\[@sluice\/sdk\] could not deliver/g)?.length, 1, stderr);
        assert.equal((await collector.records()).length, 0);
      } finally {
        await collector.stop();
      }
    });
  }

  it('with allowInsecureToken, a plaintext channel carries the token as metadata', async () => {
    const sink = await startGrpcSink({ credentials: ServerCredentials.createInsecure(), acceptToken: (t) => t === 'plain' });
    const bridge = startLogBridge({ endpoint: `http://${sink.address}`, token: 'plain', allowInsecureToken: true, handleSignals: false });
    bridge.logger().emit({ body: 'plaintext' });
    await bridge.shutdown();
    await sink.stop();
    assert.deepEqual(
      sink.received.map((r) => r.authorization),
      ['Bearer plain'],
    );
    assert.equal(bridge.stats().exported, 1);
  });
});
