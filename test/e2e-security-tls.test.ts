import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as https from 'node:https';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { testCerts, type TestCerts } from './support/certs';
import { spawnCollector } from './support/child-collector';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitFor } from './support/collector';
import { exportOnce } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

/** A TLS handshake with the given options: the server certificate's fingerprint, or the error. */
function handshake(address: string, options: tls.ConnectionOptions): Promise<{ fingerprint?: string; error?: Error }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, servername: 'localhost', ...options }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve({ fingerprint });
    });
    socket.once('error', (error: Error) => resolve({ error }));
  });
}

const fingerprintOf = async (path: string) => new X509Certificate(await readFile(path)).fingerprint256;

describe('receiver security: TLS and mTLS', function () {
  let certs: TestCerts;
  let pem: Record<'ca' | 'clientCert' | 'clientKey' | 'wrongCa' | 'wrongClientCert' | 'wrongClientKey', Buffer>;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const exporters: LogRecordExporter[] = [];

  before(async () => {
    certs = testCerts();
    tmp = await tempDir();
    pem = {
      ca: await readFile(certs.caCert),
      clientCert: await readFile(certs.clientCert),
      clientKey: await readFile(certs.clientKey),
      wrongCa: await readFile(certs.wrongCaCert),
      wrongClientCert: await readFile(certs.wrongClientCert),
      wrongClientKey: await readFile(certs.wrongClientKey),
    };
  });
  after(async () => {
    await Promise.all(exporters.map((e) => e.shutdown()));
    await tmp?.cleanup();
  });

  describe('mTLS on both protocols', function () {
    let ctx: Awaited<ReturnType<typeof startTestCollector>>;
    let jsonl: string;
    const grpcExporter = (credentials: grpc.ChannelCredentials) => {
      const exporter = new GrpcExporter({ url: `https://${ctx.collector.endpoints['otlp/grpc']}`, credentials });
      exporters.push(exporter);
      return exporter;
    };
    // A refused handshake looks like a network error, which the exporter retries until its timeout: keep that short.
    const protoExporter = (agent: { ca?: Buffer; cert?: Buffer; key?: Buffer }) => {
      const exporter = new ProtoExporter({
        url: `https://${ctx.collector.endpoints['otlp/http']}/v1/logs`,
        httpAgentOptions: agent,
        timeoutMillis: 1500,
      });
      exporters.push(exporter);
      return exporter;
    };
    const delivered = async () => flatten(await readJsonlLogs(jsonl)).map((r) => r.record.body);

    before(async () => {
      jsonl = join(tmp.dir, 'mtls.jsonl');
      const tls = { cert_file: certs.serverCert, key_file: certs.serverKey, client_ca_file: certs.caCert };
      ctx = await startTestCollector(otlpPipelineConfig({ jsonl: { path: jsonl } }, { otlp: { grpc: 0, http: 0 }, tls }));
    });
    after(() => ctx?.collector.shutdown());

    it('lets the official gRPC exporter in with credentials.createSsl(ca, key, cert)', async () => {
      const result = await exportOnce(grpcExporter(grpc.credentials.createSsl(pem.ca, pem.clientKey, pem.clientCert)), 'grpc mtls');
      assert.equal(result.error, undefined);
      await waitFor(async () => ((await delivered()).includes('grpc mtls') ? true : undefined), 5000, 'the gRPC record');
    });

    it('lets the official HTTP exporter in with a client certificate', async () => {
      const result = await exportOnce(protoExporter({ ca: pem.ca, cert: pem.clientCert, key: pem.clientKey }), 'http mtls');
      assert.equal(result.error, undefined);
      await waitFor(async () => ((await delivered()).includes('http mtls') ? true : undefined), 5000, 'the HTTP record');
    });

    it('refuses clients with no client certificate or one from another CA', async () => {
      for (const credentials of [
        grpc.credentials.createSsl(pem.ca),
        grpc.credentials.createSsl(pem.ca, pem.wrongClientKey, pem.wrongClientCert),
      ]) {
        const result = await exportOnce(grpcExporter(credentials), 'grpc refused');
        assert.equal((result.error as { code?: number } | undefined)?.code, grpc.status.UNAVAILABLE);
      }
      for (const agent of [{ ca: pem.ca }, { ca: pem.ca, cert: pem.wrongClientCert, key: pem.wrongClientKey }]) {
        const result = await exportOnce(protoExporter(agent), 'http refused');
        assert.ok(result.error, 'the export failed');
      }
      const good = await exportOnce(protoExporter({ ca: pem.ca, cert: pem.clientCert, key: pem.clientKey }), 'http good after refusals');
      assert.equal(good.error, undefined, 'a good client still gets in');
      const bodies = await delivered();
      assert.ok(!bodies.includes('grpc refused') && !bodies.includes('http refused'));
    });

    it('fails a plaintext client against the TLS ports cleanly, and keeps serving', async () => {
      const insecure = await exportOnce(grpcExporter(grpc.credentials.createInsecure()), 'grpc plaintext');
      assert.equal((insecure.error as { code?: number } | undefined)?.code, grpc.status.UNAVAILABLE);
      await assert.rejects(
        fetch(`http://${ctx.collector.endpoints['otlp/http']}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
      );
      const after = await exportOnce(
        grpcExporter(grpc.credentials.createSsl(pem.ca, pem.clientKey, pem.clientCert)),
        'grpc after plaintext',
      );
      assert.equal(after.error, undefined);
      const afterHttp = await exportOnce(protoExporter({ ca: pem.ca, cert: pem.clientCert, key: pem.clientKey }), 'http after plaintext');
      assert.equal(afterHttp.error, undefined);
    });
  });

  describe('min_version and reload_interval', function () {
    let ctx: Awaited<ReturnType<typeof startTestCollector>>;
    let certFile: string;
    let keyFile: string;

    before(async () => {
      certFile = join(tmp.dir, 'server.pem');
      keyFile = join(tmp.dir, 'server-key.pem');
      await copyFile(certs.serverCert, certFile);
      await copyFile(certs.serverKey, keyFile);
      const tls = { cert_file: certFile, key_file: keyFile, min_version: '1.3', reload_interval: '50ms' };
      ctx = await startTestCollector(otlpPipelineConfig({ debug: {} }, { otlp: { grpc: 0, http: 0 }, tls }));
    });
    after(() => ctx?.collector.shutdown());

    it('refuses a TLS 1.2 client when min_version is 1.3, on both protocols', async () => {
      for (const label of ['otlp/http', 'otlp/grpc']) {
        const address = ctx.collector.endpoints[label]!;
        const old = await handshake(address, { ca: pem.ca, maxVersion: 'TLSv1.2', ALPNProtocols: ['h2', 'http/1.1'] });
        assert.match(String(old.error?.message), /protocol version|alert/, `${label} refused TLS 1.2`);
        const current = await handshake(address, { ca: pem.ca, minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'] });
        assert.equal(current.fingerprint, await fingerprintOf(certs.serverCert), `${label} serves TLS 1.3`);
      }
    });

    it('serves renewed certificates without a restart', async () => {
      await copyFile(certs.otherServerKey, keyFile);
      await copyFile(certs.otherServerCert, certFile);
      const renewed = await fingerprintOf(certs.otherServerCert);
      for (const label of ['otlp/http', 'otlp/grpc']) {
        const address = ctx.collector.endpoints[label]!;
        await waitFor(
          async () =>
            (await handshake(address, { ca: pem.wrongCa, ALPNProtocols: ['h2', 'http/1.1'] })).fingerprint === renewed ? true : undefined,
          5000,
          `${label} to serve the renewed certificate`,
        );
      }
      const grpcResult = await exportOnce(
        (() => {
          const exporter = new GrpcExporter({
            url: `https://${ctx.collector.endpoints['otlp/grpc']}`,
            credentials: grpc.credentials.createSsl(pem.wrongCa),
          });
          exporters.push(exporter);
          return exporter;
        })(),
        'after reload',
      );
      assert.equal(grpcResult.error, undefined, 'the official gRPC exporter trusts the renewed certificate');
    });
  });

  describe('configs/gateway-tls.yaml', function () {
    it('runs as written (ports aside) and lets in a TLS client with the token, and only that', async () => {
      const configText = (await readFile(join(__dirname, '../../configs/gateway-tls.yaml'), 'utf8'))
        .replace(/0\.0\.0\.0:431[78]|127\.0\.0\.1:13133/g, '127.0.0.1:0')
        // The collector runs inside the test process, whose memory is every suite's: lift the limit.
        .replace(/limit_mib: 400\n(\s+)spike_limit_mib: 80/, 'limit_mib: 8192\n$1spike_limit_mib: 800')
        // Metrics on a free port: never the default 8888, so the test runs beside a live collector.
        .replace(/^service:\n/m, 'service:\n  telemetry: { metrics: { address: 127.0.0.1:0 } }\n');
      const tokenFile = join(tmp.dir, 'gateway-token');
      await writeFile(tokenFile, 'gateway-secret\n');
      const { collector } = await startTestCollector(configText, {
        env: { ...process.env, SLUICE_TLS_DIR: certs.dir, SLUICE_TOKEN_FILE: tokenFile, SLUICE_DATA_DIR: tmp.dir },
      });
      try {
        const send = (token?: string) => {
          const metadata = new grpc.Metadata();
          if (token) metadata.set('authorization', `Bearer ${token}`);
          const exporter = new GrpcExporter({
            url: `https://${collector.endpoints['otlp/grpc']}`,
            credentials: grpc.credentials.createSsl(pem.ca),
            metadata,
          });
          exporters.push(exporter);
          return exportOnce(exporter, 'via gateway');
        };
        assert.equal((await send('gateway-secret')).error, undefined);
        assert.equal(((await send()).error as { code?: number } | undefined)?.code, grpc.status.UNAUTHENTICATED);
        const proto = new ProtoExporter({
          url: `https://${collector.endpoints['otlp/http']}/v1/logs`,
          httpAgentOptions: { ca: pem.ca },
          headers: { Authorization: 'Bearer gateway-secret' },
        });
        exporters.push(proto);
        assert.equal((await exportOnce(proto, 'via gateway http')).error, undefined);
      } finally {
        await collector.shutdown();
      }
    });
  });

  describe('config errors', function () {
    const config = (tls: Record<string, unknown>) => otlpPipelineConfig({ debug: {} }, { tls });

    it('names the key and the file that is missing', async () => {
      const missing = join(tmp.dir, 'no-such-cert.pem');
      await assert.rejects(startTestCollector(config({ cert_file: missing, key_file: certs.serverKey })), (err: Error) =>
        /SLUICE_CONFIG_INVALID_VALUE: receivers\.otlp\.protocols\.http\.tls\.cert_file \(<config>:\d+:\d+\): cannot read .*no-such-cert\.pem: ENOENT/.test(
          err.message,
        ),
      );
    });

    it('says when the key does not match the certificate', async () => {
      await assert.rejects(startTestCollector(config({ cert_file: certs.serverCert, key_file: certs.clientKey })), (err: Error) =>
        /SLUICE_CONFIG_INVALID_VALUE: receivers\.otlp\.protocols\.http\.tls\.key_file \(<config>:\d+:\d+\): .*client-key\.pem does not match the certificate in .*server\.pem/.test(
          err.message,
        ),
      );
    });

    it('says when a file is not PEM', async () => {
      await assert.rejects(startTestCollector(config({ cert_file: certs.serverKey, key_file: certs.serverKey })), (err: Error) =>
        /tls\.cert_file \(<config>:\d+:\d+\): .*server-key\.pem is not a PEM certificate/.test(err.message),
      );
    });
  });
  it('the start banner prints https:// for a TLS listener, and that URL answers over TLS', async function () {
    this.timeout(30_000);
    const tlsBlock = { cert_file: certs.serverCert, key_file: certs.serverKey };
    const path = join(tmp.dir, 'banner.yaml');
    await writeFile(
      path,
      JSON.stringify({
        receivers: {
          'otlp/secure': {
            protocols: { http: { endpoint: '127.0.0.1:0', tls: tlsBlock }, grpc: { endpoint: '127.0.0.1:0', tls: tlsBlock } },
          },
          'otlp/plain': { protocols: { http: { endpoint: '127.0.0.1:0' } } },
        },
        exporters: { debug: {} },
        service: {
          telemetry: { metrics: { level: 'none' } },
          pipelines: { logs: { receivers: ['otlp/secure', 'otlp/plain'], exporters: ['debug'] } },
        },
      }),
    );
    const collector = await spawnCollector([path]);
    try {
      const banner = collector.stdout();
      const secure = /^ {2}otlp\/secure\/http\s+(https:\/\/\S+)\s+\(OTLP\/HTTP over TLS\)$/m.exec(banner);
      assert.ok(secure, banner);
      assert.match(banner, /^ {2}otlp\/secure\/grpc\s+127\.0\.0\.1:\d+\s+\(OTLP\/gRPC over TLS\)$/m);
      assert.match(banner, /^ {2}otlp\/plain\/http\s+http:\/\/127\.0\.0\.1:\d+\/v1\/logs\s+\(OTLP\/HTTP\)$/m);
      // The copied URL works as printed: an OTLP/JSON export over TLS is accepted.
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          secure[1]!,
          { method: 'POST', ca: pem.ca, servername: 'localhost', headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.once('error', reject);
        req.end('{"resourceLogs":[]}');
      });
      assert.equal(status, 200);
    } finally {
      await collector.stop();
    }
  });
});
