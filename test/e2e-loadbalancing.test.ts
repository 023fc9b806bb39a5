/**
 * Agents → a load-balanced gateway tier: three gateway collectors (child processes, OTLP/gRPC in,
 * JSONL out) behind one agent whose `loadbalancing` exporter uses the `static` resolver. Each
 * service's records reach one gateway; a gateway killed mid-load loses nothing that was
 * acknowledged (its share re-routes; duplicates from a retried split request are counted).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { anyValueToString, type LogsData } from '@sluice/pdata';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { flatten, readJsonlLogs, startTestCollector, tempDir, waitFor } from './support/collector';
import { logsWithBodies, postOtlpHttp } from './support/otlp';
import { otlpPipelineConfig } from './support/pipeline-config';

const SERVICES = Array.from({ length: 12 }, (_, i) => `svc-${i}`);

/** One request: one resource per service given, `records` records each with bodies `<service> <round>.<i>`. */
function request(services: string[], round: number, records = 5): LogsData {
  return {
    resourceLogs: services.flatMap(
      (service) =>
        logsWithBodies(
          Array.from({ length: records }, (_, i) => `${service} ${round}.${i}`),
          { resource: { 'service.name': service } },
        ).resourceLogs,
    ),
  };
}

/** Every body in a gateway's file, with the service it came with. */
async function bodiesIn(file: string): Promise<Array<{ service: string; body: string }>> {
  return flatten(await readJsonlLogs(file)).map(({ resource, record }) => ({
    service: anyValueToString(resource.attributes.find((a) => a.key === 'service.name')?.value ?? ''),
    body: anyValueToString(record.body),
  }));
}

describe('agent → three gateways through the loadbalancing exporter (static resolver)', function () {
  this.timeout(90_000);
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  it('sends each service to one gateway, and loses nothing acknowledged when a gateway is killed mid-load', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const gateways: Array<{ collector: ChildCollector; file: string }> = [];
    for (let g = 0; g < 3; g++) {
      const file = join(tmp.dir, `gateway-${g}.jsonl`);
      const configFile = join(tmp.dir, `gateway-${g}.yaml`);
      await writeFile(configFile, otlpPipelineConfig({ jsonl: { path: file, format: 'json' } }, { otlp: { grpc: 0 } }));
      const collector = await spawnCollector([configFile]);
      cleanups.push(() => collector.kill());
      gateways.push({ collector, file });
    }
    const agent = await startTestCollector(
      otlpPipelineConfig({
        loadbalancing: {
          routing_key: 'service',
          protocol: {
            otlp: { tls: { insecure: true }, timeout: '2s', retry_on_failure: { initial_interval: '20ms', max_interval: '200ms' } },
          },
          resolver: { static: { hostnames: gateways.map((g) => g.collector.endpoints['otlp/grpc']!) } },
        },
      }),
    );
    cleanups.push(() => agent.collector.shutdown());
    const agentHttp = agent.collector.endpoints['otlp/http']!;
    const all = async () => (await Promise.all(gateways.map((g) => bodiesIn(g.file)))).map((bodies, g) => bodies.map((b) => ({ ...b, g })));

    // Steady state: every service's records land on one gateway, and the services spread over several.
    const acked = new Set<string>();
    for (let round = 0; round < 3; round++) {
      for (const service of SERVICES) {
        const response = await postOtlpHttp(agentHttp, request([service], round));
        assert.equal(response.status, 200, response.text);
        for (let i = 0; i < 5; i++) acked.add(`${service} ${round}.${i}`);
      }
    }
    const steady = await waitFor(
      async () => {
        const found = (await all()).flat();
        return found.length >= acked.size ? found : undefined;
      },
      20_000,
      'the steady-state records at the gateways',
    );
    const gatewayOf = new Map<string, Set<number>>();
    for (const { service, g } of steady) gatewayOf.set(service, (gatewayOf.get(service) ?? new Set()).add(g));
    for (const [service, used] of gatewayOf) assert.equal(used.size, 1, `${service} went to gateways ${[...used].join(', ')}`);
    assert.ok(new Set([...gatewayOf.values()].map((s) => [...s][0])).size >= 2, 'all services on one gateway');

    // Mid-load, kill the gateway that owns the most services; keep sending (requests spanning several services).
    const owned = [0, 1, 2].map((g) => [...gatewayOf.values()].filter((s) => s.has(g)).length);
    const victim = owned.indexOf(Math.max(...owned));
    let refused = 0;
    for (let round = 3; round < 40; round++) {
      if (round === 10) await gateways[victim]!.collector.kill();
      const services = [SERVICES[round % 12]!, SERVICES[(round + 5) % 12]!, SERVICES[(round + 7) % 12]!];
      const response = await postOtlpHttp(agentHttp, request(services, round));
      if (response.status !== 200) {
        refused++;
        continue;
      }
      for (const service of services) for (let i = 0; i < 5; i++) acked.add(`${service} ${round}.${i}`);
    }

    const final = await waitFor(
      async () => {
        const found = new Set((await all()).flat().map((b) => b.body));
        return [...acked].every((body) => found.has(body)) ? (await all()).flat() : undefined;
      },
      30_000,
      'every acknowledged record at some gateway',
    ).catch(async (err: Error) => {
      const found = new Set((await all()).flat().map((b) => b.body));
      const missing = [...acked].filter((body) => !found.has(body));
      throw new Error(
        `${err.message}: ${missing.length} of ${acked.size} acknowledged records missing, e.g. ${missing.slice(0, 5).join('; ')}`,
      );
    });
    const seen = new Map<string, number>();
    for (const { body } of final) seen.set(body, (seen.get(body) ?? 0) + 1);
    const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
    // A split request is acknowledged only when every part is queued: a refused part makes the client resend the whole request.
    console.log(
      `      ${acked.size} records acknowledged, ${refused} requests refused (not counted as acknowledged), ${duplicates} duplicates`,
    );
    // The victim's services, sent after the kill, reached the survivors.
    const victimServices = new Set([...gatewayOf].filter(([, used]) => used.has(victim)).map(([service]) => service));
    const rerouted = final.filter(
      (b) => b.g !== victim && victimServices.has(b.service) && Number(b.body.split(' ')[1]!.split('.')[0]) >= 12,
    );
    assert.ok(rerouted.length > 0, "the killed gateway's services did not move to the surviving gateways");
  });
});
