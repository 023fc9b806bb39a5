import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { encodeLogsJson, encodeLogsProto, newLogRecord, type LogsData } from '@sluice/pdata';
import { spawnCollector, type ChildCollector } from './support/child-collector';
import { tempDir } from './support/collector';
import { otlpPipelineConfig } from './support/pipeline-config';

/** How long the fuzzing runs; CI can raise it (FUZZ_SECONDS=30). */
const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 10);
const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** Valid requests to mutate: every AnyValue kind, ids, nested maps, several resources. */
function seedLogs(): LogsData[] {
  const record = newLogRecord({
    timeUnixNano: 1_700_000_000_123_456_789n,
    severityNumber: 9,
    severityText: 'INFO',
    body: {
      kvlist: [
        { key: 'msg', value: 'hello' },
        { key: 'n', value: 42n },
      ],
    },
    attributes: [
      { key: 's', value: 'text' },
      { key: 'b', value: true },
      { key: 'd', value: 1.5 },
      { key: 'bytes', value: new Uint8Array([0, 255]) },
      { key: 'arr', value: ['x', 7n] },
    ],
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
  });
  const resourceLogs = (service: string) => ({
    resource: { attributes: [{ key: 'service.name', value: service }], droppedAttributesCount: 0 },
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scopeLogs: [
      {
        scope: { name: 'scope', version: '1', attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        logRecords: [record, newLogRecord({ body: 'plain' })],
      },
    ],
  });
  return [{ resourceLogs: [resourceLogs('a')] }, { resourceLogs: [resourceLogs('b'), resourceLogs('c')] }];
}

const SEEDS = seedLogs();
const PROTO_SEEDS = SEEDS.map((logs) => Buffer.from(encodeLogsProto(logs)));
const JSON_SEEDS = SEEDS.map((logs) => Buffer.from(encodeLogsJson(logs)));

/** A mutation of a valid encoding: bit flips, truncations, splices, length-byte changes, or pure noise. */
function mutated(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const seed = fc.constantFrom(...seeds);
  const at = (buf: Buffer) => fc.nat({ max: Math.max(0, buf.length - 1) });
  return fc.oneof(
    seed.chain((buf) =>
      fc.array(fc.tuple(at(buf), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
        const out = Buffer.from(buf);
        for (const [i, bit] of flips) out[i]! ^= 1 << bit;
        return out;
      }),
    ),
    seed.chain((buf) => at(buf).map((end) => buf.subarray(0, end))),
    fc.tuple(seed, seed).chain(([a, b]) => fc.tuple(at(a), at(b)).map(([i, j]) => Buffer.concat([a.subarray(0, i), b.subarray(j)]))),
    seed.chain((buf) =>
      fc.tuple(at(buf), fc.integer({ min: 0, max: 255 })).map(([i, value]) => {
        const out = Buffer.from(buf);
        out[i] = value;
        return out;
      }),
    ),
    seed.chain((buf) =>
      fc
        .tuple(at(buf), fc.uint8Array({ maxLength: 64 }))
        .map(([i, noise]) => Buffer.concat([buf.subarray(0, i), Buffer.from(noise), buf.subarray(i)])),
    ),
    fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  );
}

type Case = { protocol: 'http-proto' | 'http-json' | 'grpc'; body: Buffer; gzip: boolean };

const cases: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ protocol: fc.constant('http-proto' as const), body: mutated(PROTO_SEEDS), gzip: fc.boolean() }),
  fc.record({ protocol: fc.constant('http-json' as const), body: mutated(JSON_SEEDS), gzip: fc.boolean() }),
  fc.record({ protocol: fc.constant('grpc' as const), body: mutated(PROTO_SEEDS), gzip: fc.constant(false) }),
);

/**
 * Random and mutated OTLP bodies against a collector in its own process: every request gets a
 * well-formed answer, the process never dies, and valid requests still succeed afterwards.
 */
describe('receiver hostile input: fuzzing both protocols of a child-process collector', function () {
  this.timeout((FUZZ_SECONDS + 30) * 1000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let collector: ChildCollector;
  let client: grpc.Client;

  before(async () => {
    tmp = await tempDir();
    const config = join(tmp.dir, 'config.yaml');
    await writeFile(config, otlpPipelineConfig({ jsonl: { path: join(tmp.dir, 'out.jsonl') } }, { otlp: { grpc: 0, http: 0 } }));
    collector = await spawnCollector([config]);
    client = new grpc.Client(collector.endpoints['otlp/grpc']!, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await collector?.stop();
    await tmp?.cleanup();
  });

  const postHttp = async (body: Buffer, contentType: string, gzip: boolean) => {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (gzip) headers['content-encoding'] = 'gzip';
    const res = await fetch(`http://${collector.endpoints['otlp/http']}/v1/logs`, {
      method: 'POST',
      headers,
      body: gzip ? gzipSync(body) : body,
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type'), text };
  };
  const callGrpc = (body: Buffer) =>
    new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        EXPORT_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        (err) => resolve(err),
      ),
    );

  it(`answers every mutated request well-formed for ${FUZZ_SECONDS}s and keeps running`, async () => {
    let runs = 0;
    const counts: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(cases, async ({ protocol, body, gzip }) => {
        runs++;
        if (protocol === 'grpc') {
          const err = await callGrpc(body);
          const code = err?.code ?? grpc.status.OK;
          counts[`grpc ${grpc.status[code]}`] = (counts[`grpc ${grpc.status[code]}`] ?? 0) + 1;
          assert.ok(
            code === grpc.status.OK || code === grpc.status.INVALID_ARGUMENT,
            `gRPC answered ${grpc.status[code]}: ${err?.details}`,
          );
          return;
        }
        const answer = await postHttp(body, protocol === 'http-proto' ? 'application/x-protobuf' : 'application/json', gzip);
        counts[`${protocol} ${answer.status}`] = (counts[`${protocol} ${answer.status}`] ?? 0) + 1;
        assert.ok([200, 400, 413, 415].includes(answer.status), `HTTP answered ${answer.status}: ${answer.text}`);
        if (protocol === 'http-json') {
          assert.equal(answer.contentType, 'application/json');
          JSON.parse(answer.text); // a well-formed JSON answer, success or google.rpc.Status
        } else {
          assert.equal(answer.contentType, 'application/x-protobuf');
        }
      }),
      { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: FUZZ_SECONDS * 1000, markInterruptAsFailure: false },
    );
    console.log(
      `      ${runs} requests: ${Object.entries(counts)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ')}`,
    );
    assert.ok(runs > 100, `the fuzzer ran (${runs} requests)`);
    assert.equal(collector.child.exitCode, null, `the collector is alive\n${collector.stderr()}`);

    assert.equal((await postHttp(PROTO_SEEDS[0]!, 'application/x-protobuf', false)).status, 200);
    assert.equal((await postHttp(JSON_SEEDS[1]!, 'application/json', true)).status, 200);
    assert.equal(await callGrpc(PROTO_SEEDS[1]!), null);
  });
});
