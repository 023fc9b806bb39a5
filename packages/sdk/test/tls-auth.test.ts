import assert from 'node:assert/strict';
import { ServerCredentials } from '@grpc/grpc-js';
import pino from 'pino';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLogBridge } from '../src/index';
import { makeCerts, startGrpcSink, type TestCerts } from './helpers/grpc-sink';
import { runFixture } from './helpers/child';

/** Captures what the bridge writes to stderr while `fn` runs. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  const original = process.stderr.write;
  let captured = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((captured += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return captured;
}

// TODO(lead): when the collector's otlp receiver gains TLS + bearertokenauth (issue 5), point
// these at startTestCollector with those settings instead of this stand-in sink.
describe('TLS, mutual TLS and bearer tokens over gRPC (stand-in OTLP sink)', () => {
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
      token: async () => tokens[Math.min(calls++, 1)]!,
      handleSignals: false,
    });
    const log = pino({}, bridge.pinoStream());
    log.info('over tls one');
    await bridge.forceFlush();
    log.info('over tls two');
    await bridge.forceFlush();
    await bridge.shutdown();
    await sink.stop();
    assert.deepEqual(sink.received.map((r) => r.authorization), ['Bearer first', 'Bearer second']);
    assert.ok(sink.received[0]!.bytes.includes('over tls one'));
    assert.deepEqual(bridge.stats(), { emitted: 2, exported: 2, dropped: 0, failed: 0, queued: 0 });
  });

  it("runs the README's snippet as written: TLS with ./ca.pem and SLUICE_TOKEN, delivered on exit", async () => {
    const sink = await startGrpcSink({
      credentials: ServerCredentials.createSsl(null, [{ cert_chain: certs.serverCert, private_key: certs.serverKey }]),
      acceptToken: (token) => token === 'readme-token',
    });
    copyFileSync(certs.caFile, join(certs.dir, 'ca.pem'));
    const result = await runFixture('readme-snippet', { ENDPOINT: `https://${sink.address}`, SLUICE_TOKEN: 'readme-token' }, undefined, certs.dir);
    await sink.stop();
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(sink.received.map((r) => r.authorization), ['Bearer readme-token']);
    assert.ok(sink.received[0]!.bytes.includes('readme snippet works'));
  });

  it('presents a client certificate for mutual TLS', async () => {
    const sink = await startGrpcSink({
      credentials: ServerCredentials.createSsl(certs.clientCert, [{ cert_chain: certs.serverCert, private_key: certs.serverKey }], true),
      acceptToken: () => true,
    });
    const options = { endpoint: `https://${sink.address}`, handleSignals: false, exportTimeoutMillis: 3_000 };
    const withCert = startLogBridge({ ...options, tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
    withCert.logger().emit({ body: 'mtls ok' });
    await withCert.shutdown();
    assert.equal(withCert.stats().exported, 1);

    const withoutCert = startLogBridge({ ...options, tls: { caFile: certs.caFile } });
    withoutCert.logger().emit({ body: 'no client cert' });
    await captureStderr(() => withoutCert.shutdown());
    assert.equal(withoutCert.stats().failed, 1, 'the server refuses a client without a certificate');
    await sink.stop();
  });

  it('a wrong token is a counted failure and one stderr warning, never an exception in the app', async () => {
    const sink = await startGrpcSink({
      credentials: ServerCredentials.createSsl(null, [{ cert_chain: certs.serverCert, private_key: certs.serverKey }]),
      acceptToken: (token) => token === 'right',
    });
    const bridge = startLogBridge({
      endpoint: `https://${sink.address}`,
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
    await sink.stop();
    const stats = bridge.stats();
    assert.equal(stats.failed, 2);
    assert.equal(stats.exported, 0);
    assert.match(stats.lastError?.message ?? '', /UNAUTHENTICATED|invalid bearer token/);
    assert.equal(stderr.match(/\[@sluice\/sdk\] could not deliver/g)?.length, 1, stderr);
  });

  it('with allowInsecureToken, a plaintext channel carries the token as metadata', async () => {
    const sink = await startGrpcSink({ credentials: ServerCredentials.createInsecure(), acceptToken: (t) => t === 'plain' });
    const bridge = startLogBridge({ endpoint: `http://${sink.address}`, token: 'plain', allowInsecureToken: true, handleSignals: false });
    bridge.logger().emit({ body: 'plaintext' });
    await bridge.shutdown();
    await sink.stop();
    assert.deepEqual(sink.received.map((r) => r.authorization), ['Bearer plain']);
    assert.equal(bridge.stats().exported, 1);
  });
});
