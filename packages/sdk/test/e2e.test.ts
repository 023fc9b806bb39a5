import assert from 'node:assert/strict';
import { context } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import pino from 'pino';
import winston from 'winston';
import { startLogBridge, type LogBridge } from '../src/index';
import { startTestCollector, type FlatRecord, type TestCollector } from './helpers/collector';
import { installContextManager } from './helpers/context-manager';
import { spanContext, SPAN_ID, TRACE_ID } from './helpers/capture';
import { runFixture } from './helpers/child';
import { makeCerts, type TestCerts } from './helpers/grpc-sink';

const TOKEN = 'e2e-secret-token';

/** Each adapter end to end, over gRPC and HTTP with TLS + a bearer token, and over plaintext HTTP. */
const variants = [
  { protocol: 'grpc', secure: true },
  { protocol: 'http/protobuf', secure: true },
  { protocol: 'http/protobuf', secure: false },
] as const;

for (const { protocol, secure } of variants) {
  describe(`end to end through a real collector over ${protocol}${secure ? ' with TLS + bearer token' : ' (plaintext)'}`, () => {
    let collector: TestCollector;
    let bridge: LogBridge;
    let endpoint: string;
    let certs: TestCerts | undefined;
    let security: { token?: string; tls?: { caFile: string } };
    const serviceName = `e2e-${protocol.replace('/', '-')}${secure ? '-tls' : ''}`;

    before(async () => {
      installContextManager();
      certs = secure ? makeCerts() : undefined;
      collector = await startTestCollector(
        certs ? { tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile }, token: TOKEN } : {},
      );
      endpoint = `${secure ? 'https' : 'http'}://${protocol === 'grpc' ? collector.grpc : collector.http}`;
      security = certs ? { token: TOKEN, tls: { caFile: certs.caFile } } : {};
      bridge = startLogBridge({
        serviceName,
        serviceVersion: '9.9.9',
        environment: 'test',
        endpoint,
        protocol,
        ...security,
        handleSignals: false,
        resourceAttributes: { 'service.namespace': 'sluice' },
      });
    });
    after(async () => {
      await bridge.shutdown();
      await collector.stop();
      certs?.cleanup();
    });

    async function deliveredBody(body: string): Promise<FlatRecord> {
      await bridge.forceFlush();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = (await collector.records()).find((r) => r.body === body);
        if (found) return found;
        assert.ok(Date.now() < deadline, `record "${body}" did not reach the collector`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    function assertResource(record: FlatRecord, pid = process.pid): void {
      assert.equal(record.resource?.['service.name'], serviceName);
      assert.equal(record.resource?.['service.version'], '9.9.9');
      assert.equal(record.resource?.['deployment.environment.name'], 'test');
      assert.equal(record.resource?.['service.namespace'], 'sluice');
      assert.equal(record.resource?.['process.pid'], pid);
    }

    it('pino stream: severity, body, attributes, resource, trace ids, time', async () => {
      const log = pino({}, bridge.pinoStream());
      const before = BigInt(Date.now() - 1) * 1_000_000n;
      context.with(spanContext(), () => log.warn({ order: { id: 'o-1', total: 12.5 } }, `pino ${protocol}`));
      const record = await deliveredBody(`pino ${protocol}`);
      assert.equal(record.severity_number, SeverityNumber.WARN);
      assert.equal(record.severity_text, 'warn');
      assert.deepEqual(record.attributes, { order: { id: 'o-1', total: 12.5 } });
      assert.equal(record.trace_id, TRACE_ID);
      assert.equal(record.span_id, SPAN_ID);
      assert.equal(record.scope?.name, 'pino');
      assert.ok(BigInt(record.time_unix_nano!) >= before);
      assertResource(record);
    });

    it('pino worker transport (with the trace mixin), from an app that then exits', async () => {
      const body = `worker ${protocol}`;
      const result = await runFixture('pino-worker', {
        ENDPOINT: endpoint,
        PROTOCOL: protocol,
        SERVICE: serviceName,
        BODY: body,
        ...(certs ? { CA_FILE: certs.caFile, TOKEN } : {}),
      });
      assert.equal(result.code, 0, result.stderr);
      const record = await deliveredBody(body);
      assert.equal(record.severity_number, SeverityNumber.INFO3);
      assert.equal(record.severity_text, 'notice');
      assert.deepEqual(record.attributes, { user: 'ann' });
      assert.equal(record.trace_id, TRACE_ID);
      assert.equal(record.span_id, SPAN_ID);
      assertResource(record, result.pid);
    });

    it('winston transport, with an error', async () => {
      const log = winston.createLogger({
        format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp()),
        transports: [bridge.winstonTransport()],
      });
      log.error(`winston ${protocol}`, { request_id: 'r-9', trace_id: TRACE_ID, span_id: SPAN_ID, cause: new Error('db down') });
      const record = await deliveredBody(`winston ${protocol}`);
      assert.equal(record.severity_number, SeverityNumber.ERROR);
      assert.equal(record.severity_text, 'error');
      assert.equal(record.attributes?.request_id, 'r-9');
      assert.equal(record.attributes?.['exception.message'], 'db down');
      assert.equal(record.trace_id, TRACE_ID);
      assertResource(record);
    });

    it('console', async () => {
      const originalInfo = console.info;
      console.info = () => undefined; // keep the test output clean; the patch wraps this one
      const restore = bridge.patchConsole();
      try {
        context.with(spanContext(), () => console.info('console %s', protocol));
      } finally {
        restore();
        console.info = originalInfo;
      }
      const record = await deliveredBody(`console ${protocol}`);
      assert.equal(record.severity_number, SeverityNumber.INFO);
      assert.equal(record.trace_id, TRACE_ID);
      assertResource(record);
    });

    it('OTel Logs API', async () => {
      bridge.logger('checkout-lib', '1.0.0').emit({
        body: `api ${protocol}`,
        severityNumber: SeverityNumber.DEBUG,
        severityText: 'DEBUG',
        attributes: { 'http.route': '/pay', retries: 2 },
        context: spanContext(),
      });
      const record = await deliveredBody(`api ${protocol}`);
      assert.equal(record.severity_number, SeverityNumber.DEBUG);
      assert.deepEqual(record.attributes, { 'http.route': '/pay', retries: 2 });
      assert.deepEqual(record.scope, { name: 'checkout-lib', version: '1.0.0' });
      assert.equal(record.span_id, SPAN_ID);
      assertResource(record);
      const stats = bridge.stats();
      assert.equal(stats.failed, 0);
      assert.equal(stats.dropped, 0);
      assert.equal(stats.exported, stats.emitted);
      assert.equal(stats.lastError, undefined);
    });
  });
}
