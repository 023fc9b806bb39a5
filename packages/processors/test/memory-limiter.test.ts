import assert from 'node:assert/strict';
import { createMemoryLogger } from '@sluice/core';
import { ConsumeError } from '@sluice/pdata';
import { MemoryLimiterProcessor, memoryLimiterProcessorFactory, type MemoryLimiterConfig } from '../src';
import { CapturingConsumer, configOf, issuesOf, logsOf, metricValue, settingsFor } from './helpers';

const MIB = 1024 * 1024;

/** A limiter whose memory reading and check ticks the test controls. */
async function limiter(config: Record<string, unknown>, options: { totalMemory?: number; gc?: () => void } = {}) {
  const memory = { used: 0 };
  let tick: () => void = () => assert.fail('the limiter did not schedule its checks');
  let stopped = false;
  const logger = createMemoryLogger();
  const settings = { ...settingsFor('memory_limiter'), logger };
  const next = new CapturingConsumer();
  const processor = new MemoryLimiterProcessor(settings, configOf<MemoryLimiterConfig>(memoryLimiterProcessorFactory, config), next, {
    readMemory: () => memory.used,
    totalMemory: () => options.totalMemory ?? 1024 * MIB,
    forceGc: options.gc,
    every: (_ms, check) => {
      tick = check;
      return () => (stopped = true);
    },
  });
  await processor.start({ getExtension: () => undefined, getExporters: () => new Map() });
  return { processor, next, memory, settings, logger, tick: () => tick(), stopped: () => stopped };
}

describe('memory_limiter processor', function () {
  it('validates its config as otelcol does', () => {
    assert.match(issuesOf(memoryLimiterProcessorFactory, { limit_mib: 100 }).join('\n'), /check_interval/);
    assert.match(issuesOf(memoryLimiterProcessorFactory, { check_interval: '1s' }).join('\n'), /set limit_mib or limit_percentage/);
    assert.match(
      issuesOf(memoryLimiterProcessorFactory, { check_interval: '0s', limit_mib: 100 }).join('\n'),
      /check_interval: must be greater than 0/,
    );
    assert.match(
      issuesOf(memoryLimiterProcessorFactory, { check_interval: '1s', limit_mib: 100, spike_limit_mib: 100 }).join('\n'),
      /spike_limit_mib: must be less than limit_mib/,
    );
    assert.match(
      issuesOf(memoryLimiterProcessorFactory, { check_interval: '1s', limit_percentage: 120 }).join('\n'),
      /limit_percentage: must be a percentage/,
    );
    assert.equal(configOf(memoryLimiterProcessorFactory, { check_interval: '250ms', limit_mib: 100 }).check_interval, 250);
  });

  it('passes data while below the soft limit (limit − 20 % spike by default)', async () => {
    const ctx = await limiter({ check_interval: '1s', limit_mib: 100 });
    ctx.memory.used = 79 * MIB;
    ctx.tick();
    await ctx.processor.consume(logsOf([{ body: 'a' }]), {});
    assert.equal(ctx.next.records().length, 1);
    await ctx.processor.shutdown();
  });

  it('refuses as retryable above the soft limit, counts it, and accepts again once memory falls', async () => {
    const ctx = await limiter({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 10 });
    ctx.memory.used = 91 * MIB;
    ctx.tick();
    const refusal = await ctx.processor.consume(logsOf([{ body: 'a' }, { body: 'b' }]), {}).then(
      () => assert.fail('expected a refusal'),
      (err: unknown) => err,
    );
    assert.ok(refusal instanceof ConsumeError);
    assert.equal(refusal.retryable, true);
    assert.equal(refusal.code, 'SLUICE_MEMORY_LIMITED');
    assert.equal(refusal.retryAfterMs, 1000);
    assert.equal(ctx.next.received.length, 0, 'nothing passed on while refusing');
    assert.equal(
      await metricValue(ctx.settings.telemetry, 'otelcol_processor_refused_log_records_total', { processor: 'memory_limiter' }),
      2,
    );
    assert.ok(
      ctx.logger.lines.some((l) => l.level === 'warn' && /above the soft limit; refusing data/.test(l.message)),
      'the refusal starts with a warning',
    );

    ctx.memory.used = 50 * MIB;
    ctx.tick();
    await ctx.processor.consume(logsOf([{ body: 'c' }]), {});
    assert.deepEqual(
      ctx.next.records().map((r) => r.body),
      ['c'],
    );
    await ctx.processor.shutdown();
    assert.ok(ctx.stopped(), 'shutdown stops the checks');
  });

  it('measures at start, so a process already over the limit refuses from the first batch', async () => {
    const memory = { used: 200 * MIB };
    const processor = new MemoryLimiterProcessor(
      settingsFor('memory_limiter'),
      configOf(memoryLimiterProcessorFactory, { check_interval: '1s', limit_mib: 100 }),
      new CapturingConsumer(),
      {
        readMemory: () => memory.used,
        every: () => () => {},
      },
    );
    await processor.start({ getExtension: () => undefined, getExporters: () => new Map() });
    await assert.rejects(processor.consume(logsOf([{ body: 'x' }]), {}), /SLUICE_MEMORY_LIMITED/);
    await processor.shutdown();
  });

  it('forces a garbage collection above the hard limit and uses the measurement after it', async () => {
    let collections = 0;
    const ctx = await limiter(
      { check_interval: '1s', limit_mib: 100 },
      {
        gc: () => {
          collections++;
          ctx.memory.used = 60 * MIB;
        },
      },
    );
    ctx.memory.used = 120 * MIB;
    ctx.tick();
    assert.equal(collections, 1);
    await ctx.processor.consume(logsOf([{ body: 'after gc' }]), {});
    assert.equal(ctx.next.records().length, 1, 'memory fell below the soft limit after the collection');
    ctx.memory.used = 90 * MIB; // above soft (80), below hard (100): refuse, no collection
    ctx.tick();
    assert.equal(collections, 1);
    await assert.rejects(ctx.processor.consume(logsOf([{ body: 'y' }]), {}), /SLUICE_MEMORY_LIMITED/);
    await ctx.processor.shutdown();
  });

  it('derives the limits from limit_percentage and spike_limit_percentage of the total memory', async () => {
    const ctx = await limiter({ check_interval: '1s', limit_percentage: 50, spike_limit_percentage: 10 }, { totalMemory: 1000 * MIB });
    ctx.memory.used = 399 * MIB; // soft limit = 500 − 100 MiB
    ctx.tick();
    await ctx.processor.consume(logsOf([{ body: 'ok' }]), {});
    ctx.memory.used = 401 * MIB;
    ctx.tick();
    await assert.rejects(ctx.processor.consume(logsOf([{ body: 'no' }]), {}), /above the soft limit of 400 MiB/);
    await ctx.processor.shutdown();
  });
});
