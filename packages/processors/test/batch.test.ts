import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConsumeError, countLogRecords, emptyScope, newLogRecord, type LogsData, type ResourceLogs } from '@sluice/pdata';
import { batchProcessorFactory } from '../src/index';
import { CapturingConsumer, configOf, issuesOf, logsOf, metricValue, settingsFor } from './helpers';

const bodies = (logs: LogsData) => logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body)));
const numbered = (from: number, count: number) => logsOf(Array.from({ length: count }, (_, i) => ({ body: `r${from + i}` })));

function create(config: Record<string, unknown>, id = 'batch') {
  const settings = settingsFor(id);
  const next = new CapturingConsumer();
  const processor = batchProcessorFactory.create(settings, configOf(batchProcessorFactory, config), next);
  return { settings, next, processor };
}

describe('batch processor', () => {
  it('has otelcol defaults', () => {
    const config = configOf(batchProcessorFactory, null);
    assert.deepEqual(config, {
      send_batch_size: 8192,
      timeout: 200,
      send_batch_max_size: 0,
      metadata_keys: [],
      metadata_cardinality_limit: 1000,
    });
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['max below size', { send_batch_size: 100, send_batch_max_size: 10 }, 'send_batch_max_size'],
    ['duration without unit', { timeout: 5 }, 'timeout'],
    ['negative size', { send_batch_size: -1 }, 'send_batch_size'],
    ['duplicate metadata key', { metadata_keys: ['X-Tenant', 'x-tenant'] }, 'metadata_keys.1'],
  ];
  for (const [name, config, path] of bad) {
    it(`refuses ${name} at ${path}`, () => {
      assert.ok(issuesOf(batchProcessorFactory, config).some((i) => i.startsWith(`${path}: `)));
    });
  }

  /** What a consume came to: undefined when accepted, else its refusal (observed at once, so never unhandled). */
  const outcome = (p: Promise<void>): Promise<unknown> =>
    p.then(
      () => undefined,
      (err: unknown) => err,
    );

  /** A next consumer whose answers the test gives: `release()` settles the oldest open hand-off. */
  function gated(next: CapturingConsumer) {
    const open: Array<{ resolve(): void; reject(err: unknown): void }> = [];
    next.answer = () => new Promise<void>((resolve, reject) => open.push({ resolve, reject }));
    const tick = () => new Promise((r) => setImmediate(r));
    return {
      open: () => open.length,
      release: async (err?: unknown) => {
        const hand = open.shift()!;
        if (err === undefined) hand.resolve();
        else hand.reject(err);
        await tick();
      },
      tick,
    };
  }

  it('hands a lone request on at once, however long the timeout', async () => {
    const { settings, next, processor } = create({ timeout: '1h' });
    const done = processor.consume(numbered(0, 2), {});
    assert.equal(next.received.length, 1, 'handed on within consume, not on a timer');
    await done;
    assert.deepEqual(bodies(next.received[0]!.logs), ['r0', 'r1']);
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_timeout_trigger_send_total', { processor: 'batch' }), 1);
    await processor.shutdown();
  });

  it('merges what arrives during a hand-off into one hand-off after it, each consume settling with its own', async () => {
    const { settings, next, processor } = create({ timeout: '1h' });
    const gate = gated(next);
    const settled: string[] = [];
    const track = (name: string, p: Promise<void>) => p.then(() => settled.push(name));
    const a = track('a', processor.consume(numbered(0, 2), {}));
    const b = track('b', processor.consume(numbered(2, 1), {}));
    const c = track('c', processor.consume(numbered(3, 3), {}));
    await gate.tick();
    assert.equal(next.received.length, 1, 'b and c wait for the hand-off of a');
    const d = track('d', processor.consume(numbered(6, 1), {}));
    await gate.release();
    await a;
    assert.deepEqual(settled, ['a']);
    assert.equal(next.received.length, 2);
    assert.deepEqual(bodies(next.received[1]!.logs), ['r2', 'r3', 'r4', 'r5', 'r6'], 'b, c and d in one hand-off, in order');
    await gate.release();
    await Promise.all([b, c, d]);
    assert.deepEqual(settled.sort(), ['a', 'b', 'c', 'd']);
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_batch_send_size', { processor: 'batch' }, '_count'), 2);
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_batch_send_size', { processor: 'batch' }, '_sum'), 7);
    await processor.shutdown();
  });

  it('stops a merge at send_batch_size, splits at send_batch_max_size, one hand-off at a time', async () => {
    const { settings, next, processor } = create({ send_batch_size: 2, send_batch_max_size: 5, timeout: '1h' });
    const gate = gated(next);
    const first = processor.consume(numbered(0, 1), {});
    const rest = [processor.consume(numbered(1, 4), {}), processor.consume(numbered(5, 4), {}), processor.consume(numbered(9, 4), {})];
    await gate.release();
    await first;
    assert.deepEqual(bodies(next.received[1]!.logs), ['r1', 'r2', 'r3', 'r4'], 'one whole request reaches send_batch_size');
    await gate.release();
    assert.equal(gate.open(), 1, 'one hand-off at a time');
    assert.deepEqual(bodies(next.received[2]!.logs), ['r5', 'r6', 'r7', 'r8']);
    await gate.release();
    await gate.release();
    await Promise.all(rest);
    assert.equal(next.received.length, 4);
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_batch_size_trigger_send_total', { processor: 'batch' }), 3);
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_timeout_trigger_send_total', { processor: 'batch' }), 1);

    const big = create({ send_batch_size: 0, send_batch_max_size: 5, timeout: '1h' });
    const bigGate = gated(big.next);
    const pending = [
      big.processor.consume(numbered(0, 3), {}),
      big.processor.consume(numbered(3, 4), {}),
      big.processor.consume(numbered(7, 6), {}),
    ];
    while (bigGate.open() > 0) await bigGate.release();
    await Promise.all(pending);
    assert.deepEqual(
      big.next.received.map((r) => bodies(r.logs)),
      [
        ['r0', 'r1', 'r2'],
        ['r3', 'r4', 'r5', 'r6', 'r7'],
        ['r8', 'r9', 'r10', 'r11', 'r12'],
      ],
      'merged up to send_batch_max_size, split inside the third request',
    );
  });

  it('rejects every consume of a refused hand-off, and only those', async () => {
    const { next, processor } = create({ timeout: '1h' });
    const gate = gated(next);
    const first = processor.consume(numbered(0, 1), {});
    const merged = [processor.consume(numbered(1, 1), {}), processor.consume(numbered(2, 1), {})].map(outcome);
    const refusal = new ConsumeError('SLUICE_QUEUE_FULL', 'full', { retryable: true });
    await gate.release();
    await first;
    await gate.release(refusal);
    assert.deepEqual(await Promise.all(merged), [refusal, refusal]);
  });

  it('a consume split over several hand-offs hears the refusal that takes precedence', async () => {
    const { next, processor } = create({ send_batch_size: 0, send_batch_max_size: 2, timeout: '1h' });
    const gate = gated(next);
    const done = outcome(processor.consume(numbered(0, 6), {}));
    await gate.release(new ConsumeError('SLUICE_BAD_DATA', 'bad', { retryable: false }));
    await gate.release(new ConsumeError('SLUICE_QUEUE_FULL', 'full', { retryable: true }));
    await gate.release();
    const err = (await done) as ConsumeError;
    assert.ok(err.code === 'SLUICE_QUEUE_FULL' && err.retryable, String(err));
  });

  it('refuses the merged consumes as SLUICE_INTERNAL when the hand-off fails with a bug', async () => {
    const { next, processor } = create({});
    const gate = gated(next);
    const first = processor.consume(numbered(0, 1), {});
    const merged = outcome(processor.consume(numbered(1, 1), {}));
    await gate.release();
    await first;
    await gate.release(new TypeError('oops'));
    const err = (await merged) as ConsumeError;
    assert.ok(err.code === 'SLUICE_INTERNAL' && !err.retryable, String(err));
  });

  it('splits a lone request at send_batch_max_size', async () => {
    const { next, processor } = create({ timeout: 0, send_batch_size: 0, send_batch_max_size: 3 });
    await processor.consume(numbered(0, 8), {});
    assert.deepEqual(
      next.received.map((r) => bodies(r.logs).length),
      [3, 3, 2],
    );
    assert.deepEqual(
      next.records().map((r) => r.body),
      Array.from({ length: 8 }, (_, i) => `r${i}`),
    );
    await processor.shutdown();
  });

  it('splits a batch inside a resource and scope, giving each half its own resource copy', async () => {
    const { next, processor } = create({ send_batch_size: 3, send_batch_max_size: 3, timeout: '1h' });
    const logs: LogsData = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: 'a' }], droppedAttributesCount: 0 },
          scopeLogs: [
            { scope: { ...emptyScope(), name: 's1' }, logRecords: [newLogRecord({ body: 1n }), newLogRecord({ body: 2n })], schemaUrl: '' },
            {
              scope: { ...emptyScope(), name: 's2' },
              logRecords: [newLogRecord({ body: 3n }), newLogRecord({ body: 4n }), newLogRecord({ body: 5n })],
              schemaUrl: '',
            },
          ],
          schemaUrl: 'url',
        },
      ],
    };
    const done = processor.consume(logs, {});
    await processor.shutdown();
    await done;
    const [a, b] = next.received.map((r) => r.logs.resourceLogs[0]!);
    assert.deepEqual(
      a!.scopeLogs.map((sl) => [sl.scope.name, sl.logRecords.map((r) => r.body)]),
      [
        ['s1', [1n, 2n]],
        ['s2', [3n]],
      ],
    );
    assert.deepEqual(
      b!.scopeLogs.map((sl) => [sl.scope.name, sl.logRecords.map((r) => r.body)]),
      [['s2', [4n, 5n]]],
    );
    assert.notEqual(a!.resource, b!.resource);
    assert.notEqual(a!.resource.attributes, b!.resource.attributes);
    assert.deepEqual(a!.resource.attributes, b!.resource.attributes);
    assert.equal(b!.schemaUrl, 'url');
  });

  it('rejects with the error of the next consumer, unchanged', async () => {
    const { next, processor } = create({ timeout: 0 });
    const refusal = new ConsumeError('SLUICE_QUEUE_FULL', 'full', { retryable: true });
    next.answer = () => Promise.reject(refusal);
    await assert.rejects(processor.consume(numbered(0, 1), {}), (err) => err === refusal);
  });

  it('batches separately per metadata value and forwards only those keys', async () => {
    const { settings, next, processor } = create({ metadata_keys: ['X-Tenant'], timeout: '1h' });
    const a1 = processor.consume(numbered(0, 1), { metadata: { 'x-tenant': ['a'], 'x-other': ['1'] } });
    const b1 = processor.consume(numbered(1, 1), { metadata: { 'x-tenant': ['b'] } });
    const a2 = processor.consume(numbered(2, 1), { metadata: { 'x-tenant': ['a'] } });
    const none = processor.consume(numbered(3, 1), {});
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_metadata_cardinality', { processor: 'batch' }), 3);
    await processor.shutdown();
    await Promise.all([a1, b1, a2, none]);
    const byTenant = new Map<string, unknown[]>();
    for (const r of next.received)
      byTenant.set(JSON.stringify(r.context), [...(byTenant.get(JSON.stringify(r.context)) ?? []), ...bodies(r.logs)]);
    assert.deepEqual(byTenant.get(JSON.stringify({ metadata: { 'x-tenant': ['a'] } })), ['r0', 'r2']);
    assert.deepEqual(byTenant.get(JSON.stringify({ metadata: { 'x-tenant': ['b'] } })), ['r1']);
    assert.deepEqual(byTenant.get(JSON.stringify({ metadata: {} })), ['r3']);
  });

  it('refuses new metadata combinations beyond metadata_cardinality_limit, keeping the accepted ones', async () => {
    const { next, processor } = create({ metadata_keys: ['tenant'], metadata_cardinality_limit: 1, timeout: '1h' });
    const accepted = processor.consume(numbered(0, 1), { metadata: { tenant: ['a'] } });
    await assert.rejects(
      processor.consume(numbered(1, 1), { metadata: { tenant: ['b'] } }),
      (err: ConsumeError) => err.code === 'SLUICE_BAD_DATA' && !err.retryable,
    );
    await processor.shutdown();
    await accepted;
    assert.deepEqual(
      next.records().map((r) => r.body),
      ['r0'],
    );
  });

  it('on shutdown hands on what waits, is idempotent, and refuses data afterwards as retryable', async () => {
    const { settings, next, processor } = create({ timeout: '1h' });
    const gate = gated(next);
    const first = processor.consume(numbered(0, 5), {});
    const waiting = processor.consume(numbered(5, 2), {});
    let stopped = false;
    const stopping = Promise.all([processor.shutdown(), processor.shutdown()]).then(() => (stopped = true));
    await assert.rejects(
      processor.consume(numbered(7, 1), {}),
      (err: ConsumeError) => err.code === 'SLUICE_SHUTTING_DOWN' && err.retryable,
    );
    await gate.release();
    assert.equal(stopped, false, 'shutdown waits for the data accepted before it');
    await gate.release();
    await Promise.all([first, waiting, stopping]);
    assert.deepEqual(
      next.records().map((r) => r.body),
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'],
    );
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_batch_batch_send_size', { processor: 'batch' }, '_count'), 2);
  });

  it('resolves an empty consume at once without sending', async () => {
    const { next, processor } = create({});
    await processor.consume({ resourceLogs: [] }, {});
    assert.equal(next.received.length, 0);
    await processor.shutdown();
  });

  describe('property: concurrent senders', () => {
    // Each sender: record counts per resource, and how many ticks it waits before sending.
    const sendArb = fc.record({
      resources: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 3 }),
      delay: fc.integer({ min: 0, max: 3 }),
    });
    const configArb = fc.record({
      send_batch_size: fc.integer({ min: 0, max: 10 }),
      extraMax: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      timeout: fc.constantFrom('0', '1ms', '1h'),
    });

    it('delivers every record once, in order of arrival, and settles each consume by its batches', async () => {
      await fc.assert(
        fc.asyncProperty(
          configArb,
          fc.array(sendArb, { minLength: 1, maxLength: 12 }),
          fc.integer({ min: 0, max: 4 }),
          async (cfg, sends, failEvery) => {
            const { next, processor } = create({
              send_batch_size: cfg.send_batch_size,
              send_batch_max_size: cfg.extraMax === undefined ? 0 : cfg.send_batch_size + cfg.extraMax, // 0: no cap
              timeout: cfg.timeout,
            });
            const accepted = new Set<string>();
            const refused = new Set<string>();
            let call = 0;
            next.answer = async (logs) => {
              const fail = failEvery > 0 && ++call % failEvery === 0;
              await new Promise((r) => setImmediate(r));
              for (const body of bodies(logs)) (fail ? refused : accepted).add(body as string);
              if (fail) throw new ConsumeError('SLUICE_QUEUE_FULL', 'full', { retryable: true });
            };
            const issuedOrder: string[] = [];
            let issued = 0;
            let allIssued!: () => void;
            const issuing = new Promise<void>((resolve) => (allIssued = resolve));
            const outcomes = Promise.all(
              sends.map(async (send, s) => {
                for (let t = 0; t < send.delay; t++) await new Promise((r) => setImmediate(r));
                const resourceLogs: ResourceLogs[] = send.resources.map(
                  (count, r) =>
                    logsOf(
                      Array.from({ length: count }, (_, i) => ({ body: `${s}.${r}.${i}` })),
                      [{ key: 'id', value: `${s}.${r}` }],
                    ).resourceLogs[0]!,
                );
                const mine = resourceLogs.flatMap((rl) => bodies({ resourceLogs: [rl] }) as string[]);
                issuedOrder.push(...mine);
                const sent = processor.consume({ resourceLogs }, {});
                if (++issued === sends.length) allIssued();
                try {
                  await sent;
                  // Resolved: every record of this consume was accepted downstream.
                  for (const body of mine) assert.ok(accepted.has(body), `resolved before ${body} was accepted`);
                  return 'ok';
                } catch {
                  assert.ok(
                    mine.some((body) => refused.has(body)),
                    'rejected although none of its records was refused',
                  );
                  return 'failed';
                }
              }),
            );
            await issuing;
            // Every consume settles without a shutdown: no timeout, however long, holds data.
            assert.equal((await outcomes).length, sends.length);
            await processor.shutdown();
            const delivered = next.records().map((r) => r.body as string);
            const expected = sends.flatMap((send, s) =>
              send.resources.flatMap((count, r) => Array.from({ length: count }, (_, i) => `${s}.${r}.${i}`)),
            );
            assert.equal(new Set(delivered).size, delivered.length, 'a record was delivered twice');
            assert.deepEqual([...delivered].sort(), [...expected].sort(), 'a record was lost');
            assert.deepEqual(delivered, issuedOrder, 'hand-offs, one at a time, keep the order of arrival');
            const max = cfg.extraMax === undefined ? 0 : cfg.send_batch_size + cfg.extraMax;
            for (const { logs } of next.received) assert.ok(max === 0 || countLogRecords(logs) <= max);
            // Order within each resource: the indexes of one resource arrive increasing.
            const lastIndex = new Map<string, number>();
            for (const { logs } of next.received) {
              for (const rl of logs.resourceLogs) {
                const id = rl.resource.attributes[0]!.value as string;
                for (const body of bodies({ resourceLogs: [rl] }) as string[]) {
                  const index = Number(body.split('.')[2]);
                  assert.equal(index, (lastIndex.get(id) ?? -1) + 1, `resource ${id} out of order`);
                  lastIndex.set(id, index);
                }
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
