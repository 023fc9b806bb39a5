/**
 * The `loadbalancing` exporter in process: the hash ring's consistency, the split by routing key,
 * the `dns` resolver behind a stubbed lookup (no DNS server can run here, so the test replaces
 * the `dns.lookup` boundary), and the `k8s` resolver against a fake API server (list + watch).
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { countLogRecords, newLogRecord, type LogsData } from '@sluice/pdata';
import { HashRing, createLoadBalancingExporter, loadBalancingExporterFactory, type LoadBalancingExporter } from '../src/index';
import { splitByKey } from '../src/exporter/loadbalancing/split-by-key';
import { hostWith, metric, startGrpcServer, testSettings, until } from './support/exporter-servers';

const fastRetries = { initial_interval: '10ms', max_interval: '50ms', randomization_factor: 0 };

function member(endpoint: string) {
  return { endpoint };
}

/** One resource per service, `records` records each, bodies `<service> <i>`; `traceIds` stamps records with them in turn. */
function logsOf(services: string[], records = 2, traceIds: string[] = []): LogsData {
  return {
    resourceLogs: services.map((service) => ({
      resource: { attributes: [{ key: 'service.name', value: service }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: [
        {
          scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          logRecords: Array.from({ length: records }, (_, i) =>
            newLogRecord({ body: `${service} ${i}`, traceId: traceIds.length > 0 ? traceIds[i % traceIds.length]! : '' }),
          ),
        },
      ],
    })),
  };
}

describe('loadbalancing: the hash ring', () => {
  const keys = Array.from({ length: 5000 }, (_, i) => `service-${i}`);

  it('moves about a quarter of the keys, all to the new backend, when a fourth joins three', () => {
    const three = new HashRing(['a:4317', 'b:4317', 'c:4317'].map(member));
    const four = new HashRing(['a:4317', 'b:4317', 'c:4317', 'd:4317'].map(member));
    let moved = 0;
    for (const key of keys) {
      const before = three.lookup(key)!.endpoint;
      const after = four.lookup(key)!.endpoint;
      if (before !== after) {
        moved++;
        assert.equal(after, 'd:4317', `${key} moved between old backends`);
      }
    }
    const share = moved / keys.length;
    assert.ok(share > 0.17 && share < 0.33, `${(share * 100).toFixed(1)}% of the keys moved (expected about 25%)`);
  });

  it('moves only the leaving backend’s keys, and spreads keys about evenly', () => {
    const four = new HashRing(['a:1', 'b:1', 'c:1', 'd:1'].map(member));
    const without = new HashRing(['a:1', 'c:1', 'd:1'].map(member));
    const counts = new Map<string, number>();
    for (const key of keys) {
      const owner = four.lookup(key)!.endpoint;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
      if (owner !== 'b:1') assert.equal(without.lookup(key)!.endpoint, owner, `${key} moved though its backend stayed`);
    }
    for (const [owner, count] of counts) assert.ok(Math.abs(count / keys.length - 0.25) < 0.08, `${owner} owns ${count} of ${keys.length}`);
  });

  it('skips backends a filter refuses, keeping every other key where it was', () => {
    const ring = new HashRing(['a:1', 'b:1', 'c:1'].map(member));
    for (const key of keys.slice(0, 500)) {
      const owner = ring.lookup(key)!.endpoint;
      const avoiding = ring.lookup(key, (m) => m.endpoint !== 'a:1')!.endpoint;
      assert.equal(avoiding, owner === 'a:1' ? avoiding : owner);
      assert.notEqual(avoiding, 'a:1');
    }
    assert.equal(
      ring.lookup('x', () => false),
      undefined,
    );
  });
});

describe('loadbalancing: splitting a request by routing key', () => {
  const ring = new HashRing(['a:1', 'b:1', 'c:1'].map(member));
  const pick = (key: string) => ring.lookup(key);

  it('passes a request whose keys share a backend on as it is', () => {
    const logs = logsOf(['checkout', 'checkout']);
    const parts = splitByKey(logs, 'service', pick)!;
    assert.equal(parts.size, 1);
    assert.equal([...parts.values()][0], logs);
  });

  it('splits by service, by resource and by trace id without losing or repeating a record', () => {
    const services = Array.from({ length: 30 }, (_, i) => `svc-${i}`);
    const traceIds = Array.from({ length: 7 }, (_, i) => i.toString(16).padStart(32, '0'));
    for (const key of ['service', 'resource', 'traceID'] as const) {
      const logs = logsOf(services, 7, traceIds);
      const parts = splitByKey(logs, key, pick)!;
      assert.ok(parts.size > 1, `${key}: one backend for 30 services`);
      const seen = [...parts.values()].flatMap((part) =>
        part.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body as string))),
      );
      assert.equal(seen.length, countLogRecords(logs), key);
      assert.equal(new Set(seen).size, seen.length, key);
      if (key === 'traceID') {
        for (const [backend, part] of parts) {
          for (const record of part.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))) {
            assert.equal(ring.lookup(record.traceId), backend);
          }
        }
      }
    }
  });
});

describe('loadbalancing: resolvers', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  function parse(resolver: Record<string, unknown>) {
    return loadBalancingExporterFactory.configSchema.parse({
      routing_key: 'service',
      protocol: { otlp: { tls: { insecure: true }, retry_on_failure: fastRetries, timeout: '1s' } },
      resolver,
    });
  }

  it('dns: follows a changed address set, and a removed backend’s queue goes to the new one', async () => {
    // Nothing listens on 127.0.0.1:<port>; the gateway listens on 127.0.0.2:<port>.
    const gateway = await startGrpcServer([{ ok: true }], 0, '127.0.0.2');
    cleanups.push(() => gateway.close());
    let answer: () => Promise<string[]> = () => Promise.resolve(['127.0.0.1']);
    const lookups: string[] = [];
    const { settings, logger } = testSettings('loadbalancing/dns');
    const exporter = createLoadBalancingExporter(
      settings,
      parse({ dns: { hostname: 'gateways.test', port: gateway.port, interval: '20ms' } }),
      (host) => {
        lookups.push(host);
        return answer();
      },
    );
    cleanups.push(() => exporter.shutdown());
    await exporter.start(hostWith());
    assert.deepEqual(exporter.endpoints(), [`127.0.0.1:${gateway.port}`]);
    assert.equal(lookups[0], 'gateways.test');

    // Accepted into the (unreachable) backend's queue; its only backend keeps retrying them.
    for (let i = 0; i < 5; i++) await exporter.consume(logsOf([`svc-${i}`]), {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(gateway.requests.length, 0);

    // A failed lookup keeps the set.
    answer = () => Promise.reject(new Error('SERVFAIL'));
    await until(() => logger.lines.some((line) => line.message.includes('keeping the last known set')), 'the failed lookup logged');
    assert.deepEqual(exporter.endpoints(), [`127.0.0.1:${gateway.port}`]);

    answer = () => Promise.resolve(['127.0.0.2']);
    await until(() => exporter.endpoints()[0] === `127.0.0.2:${gateway.port}`, 'the new address in the ring');
    const received = () => gateway.requests.reduce((sum, request) => sum + countLogRecords(request.logs), 0);
    await until(() => received() === 10, "the removed backend's 10 queued records at the new one");
    await exporter.consume(logsOf(['late']), {});
    await until(() => received() === 12, 'new records at the new backend');
  });

  it('k8s: lists a Service’s EndpointSlices, then follows the watch (added, not ready, deleted)', async () => {
    const gatewayA = await startGrpcServer([{ ok: true }], 0, '127.0.0.1');
    cleanups.push(() => gatewayA.close());
    const gatewayB = await startGrpcServer([{ ok: true }], gatewayA.port, '127.0.0.2');
    cleanups.push(() => gatewayB.close());
    const port = gatewayA.port;
    const slice = (name: string, address: string, ready = true) => ({
      metadata: { name, resourceVersion: '1' },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready } }],
      ports: [{ port, protocol: 'TCP' }],
    });
    const paths: string[] = [];
    let watch: ServerResponse | undefined;
    const api = createServer((req, res) => {
      paths.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://api');
      if (url.pathname !== '/apis/discovery.k8s.io/v1/namespaces/observability/endpointslices') {
        res.writeHead(404).end();
        return;
      }
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        watch = res;
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'EndpointSliceList', metadata: { resourceVersion: '7' }, items: [slice('gw-a', '127.0.0.1')] }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => api.close(resolve)));
    cleanups.push(() => watch?.end());
    const apiServer = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const { settings } = testSettings('loadbalancing/k8s');
    const exporter: LoadBalancingExporter = createLoadBalancingExporter(
      settings,
      parse({ k8s: { service: 'gateway.observability', ports: [port], api_server: apiServer } }),
    );
    cleanups.push(() => exporter.shutdown());
    await exporter.start(hostWith());
    assert.deepEqual(exporter.endpoints(), [`127.0.0.1:${port}`]);
    assert.match(paths[0]!, /labelSelector=kubernetes.io%2Fservice-name%3Dgateway/);
    await until(() => watch !== undefined, 'the watch');
    assert.match(paths[1]!, /watch=true&resourceVersion=7/);

    const send = (event: unknown) => watch!.write(`${JSON.stringify(event)}\n`);
    send({ type: 'ADDED', object: slice('gw-b', '127.0.0.2') });
    await until(() => exporter.endpoints().length === 2, 'the added slice');
    const services = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
    await exporter.consume(logsOf(services, 1), {});
    await until(() => gatewayA.requests.length > 0 && gatewayB.requests.length > 0, 'both backends used');

    send({ type: 'MODIFIED', object: slice('gw-a', '127.0.0.1', false) });
    await until(() => exporter.endpoints().join() === `127.0.0.2:${port}`, 'the not-ready endpoint gone');
    const before = gatewayA.requests.length;
    await exporter.consume(logsOf(services, 1), {});
    const atB = () => gatewayB.requests.reduce((sum, request) => sum + countLogRecords(request.logs), 0);
    await until(() => atB() >= services.length, 'every service at the remaining backend');
    assert.equal(gatewayA.requests.length, before);

    // A watch the API server ends on its own, so a connection gone silent (an API server failover)
    // cannot leave the resolver on a stale set: client-go asks the same.
    const timeoutSeconds = Number(new URL(paths[1]!, 'http://api').searchParams.get('timeoutSeconds'));
    assert.ok(timeoutSeconds > 0 && timeoutSeconds <= 600, `the watch asks for timeoutSeconds (${paths[1]})`);

    send({ type: 'DELETED', object: slice('gw-b', '127.0.0.2') });
    await until(() => exporter.endpoints().length === 0, 'the deleted slice gone');
    await assert.rejects(exporter.consume(logsOf(['x']), {}), /no backend/);
  });
});

/** A loopback port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('loadbalancing: failing backends', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  function parse(hostnames: string[]) {
    return loadBalancingExporterFactory.configSchema.parse({
      protocol: { otlp: { tls: { insecure: true }, retry_on_failure: fastRetries, timeout: '1s' } },
      resolver: { static: { hostnames } },
    });
  }

  it('does not bounce a batch between two failing backends each time one’s ejection ends', async () => {
    // The ejection is 5 s; Date.now is moved on rather than waited for.
    const realNow = Date.now;
    let skew = 0;
    Date.now = () => realNow() + skew;
    cleanups.push(() => (Date.now = realNow));
    const { settings, telemetry } = testSettings('loadbalancing/down');
    const exporter = createLoadBalancingExporter(settings, parse([`127.0.0.1:${await deadPort()}`, `127.0.0.1:${await deadPort()}`]));
    cleanups.push(() => exporter.shutdown(AbortSignal.timeout(200)));
    await exporter.start(hostWith());
    const rerouted = () => metric(telemetry, 'sluice_loadbalancer_rerouted_log_records_total', { exporter: 'loadbalancing/down' });

    await exporter.consume(logsOf(['checkout']), {});
    // The first backend fails and hands the batch to the other, which has not failed yet.
    const deadline = realNow() + 10_000;
    while ((await rerouted()) < 2 && realNow() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await rerouted(), 2);
    for (let i = 0; i < 3; i++) {
      skew += 6000;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // Both are failing: each retries what it holds (max_elapsed_time then counts it failed) instead
    // of handing it back and forth with a fresh retry budget every time.
    assert.equal(await rerouted(), 2, 'the batch was re-routed again between two failing backends');
  });

  it('keeps one set of reused memory for all its backends, not one per backend', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => deadPort()));
    const { settings } = testSettings('loadbalancing/memory');
    const before = process.memoryUsage().arrayBuffers;
    const exporter = createLoadBalancingExporter(settings, parse(ports.map((port) => `127.0.0.1:${port}`)));
    cleanups.push(() => exporter.shutdown(AbortSignal.abort()));
    await exporter.start(hostWith());
    // 200 services: every backend queues some (each backend's queue holds its requests in that memory).
    await exporter.consume(
      logsOf(
        Array.from({ length: 200 }, (_, i) => `service-${i}`),
        1,
      ),
      {},
    );
    const grown = process.memoryUsage().arrayBuffers - before;
    // One arena keeps an 8 MiB chunk (and a spare); one per backend kept 20 of them, 160 MiB.
    assert.ok(grown < 48 * 1024 * 1024, `array buffers grew ${(grown / 2 ** 20).toFixed(1)} MiB for 20 backends`);
  });

  it('reports what its backends lost at a shutdown that ran out of time (the collector exits 3 on it)', async () => {
    const { settings } = testSettings('loadbalancing/lost');
    const exporter = createLoadBalancingExporter(settings, parse([`127.0.0.1:${await deadPort()}`]));
    await exporter.start(hostWith());
    await exporter.consume(logsOf(['checkout', 'billing']), {});
    await exporter.shutdown(AbortSignal.abort());
    assert.equal(exporter.lostAtShutdown(), 4, 'the four queued records (two services, two records each) the dead backend never took');
  });
});
