import assert from 'node:assert/strict';
import type { Component, ExporterFactory, ExtensionFactory, ReceiverFactory } from '../src/component';
import { section } from '../src/config/schema';
import { createMemoryLogger } from '../src/logger';
import { Service, type ServiceGraphConfig } from '../src/pipeline/service';
import { Telemetry } from '../src/telemetry/telemetry';

/** What each component's shutdown was given, whether it waits for the deadline, and which one never stops. */
interface Probe {
  signals: Map<string, AbortSignal | undefined>;
  waitForDeadline: boolean;
  neverStops?: string;
  /** What the exporter reports as lost at shutdown. */
  lost?: number;
}

function component(id: string, probe: Probe): Component {
  return {
    start: async () => {},
    shutdown: (signal) => {
      probe.signals.set(id, signal);
      if (probe.neverStops === id) return new Promise(() => {});
      if (!probe.waitForDeadline || !signal || signal.aborted) return Promise.resolve();
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
}

function serviceWith(probe: Probe, shutdownTimeoutMs: number) {
  const receiver: ReceiverFactory = {
    kind: 'receiver',
    type: 'r',
    description: 'test',
    configSchema: section({}),
    create: (s) => component(s.id, probe),
  };
  const exporter: ExporterFactory = {
    kind: 'exporter',
    type: 'e',
    description: 'test',
    configSchema: section({}),
    create: (s) => ({ ...component(s.id, probe), consume: async () => {}, lostAtShutdown: () => probe.lost ?? 0 }),
  };
  const extension: ExtensionFactory = {
    kind: 'extension',
    type: 'x',
    description: 'test',
    configSchema: section({}),
    create: (s) => component(s.id, probe),
  };
  const config: ServiceGraphConfig = {
    receivers: new Map([['r', { id: 'r', factory: receiver, config: {} }]]),
    processors: new Map(),
    exporters: new Map([['e', { id: 'e', factory: exporter, config: {} }]]),
    extensions: new Map([['x', { id: 'x', factory: extension, config: {} }]]),
    service: { extensions: ['x'], pipelines: [{ id: 'logs', receivers: ['r'], processors: [], exporters: ['e'] }], shutdownTimeoutMs },
  };
  const logger = createMemoryLogger();
  return { service: new Service(config, logger, new Telemetry()), logger };
}

describe('service shutdown deadline', () => {
  it('gives every component one signal that aborts when shutdown_timeout runs out; later ones still get to stop', async () => {
    const probe: Probe = { signals: new Map(), waitForDeadline: true, lost: 7 };
    const { service, logger } = serviceWith(probe, 50);
    await service.start();
    const report = await service.shutdown();
    assert.deepEqual([...probe.signals.keys()], ['r', 'e', 'x'], 'receivers first, extensions last');
    const [first] = probe.signals.values();
    for (const signal of probe.signals.values()) {
      assert.equal(signal, first, 'one deadline for the whole shutdown');
      assert.equal(signal?.aborted, true);
    }
    // Stopping when the deadline aborts is stopping in time; the exporter's loss is in the report.
    assert.deepEqual(report, { lostRecords: 7, late: [] });
    assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 0);
    assert.equal(service.state, 'stopped');
  });

  it('reports a component that ignores the deadline as late, after a grace, and still stops the rest', async () => {
    const probe: Probe = { signals: new Map(), waitForDeadline: false, neverStops: 'r' };
    const { service, logger } = serviceWith(probe, 50);
    await service.start();
    const report = await service.shutdown();
    assert.deepEqual(report, { lostRecords: 0, late: ['r'] });
    const late = logger.lines
      .filter((line) => line.message === 'component did not stop within service.shutdown_timeout')
      .map((line) => line.fields.id);
    assert.deepEqual(late, ['r']);
    assert.deepEqual([...probe.signals.keys()], ['r', 'e', 'x'], 'the exporter and extension stop at once when handed an aborted signal');
  });

  it('leaves the signal unaborted when every component stops in time', async () => {
    const probe: Probe = { signals: new Map(), waitForDeadline: false };
    const { service, logger } = serviceWith(probe, 20);
    await service.start();
    assert.deepEqual(await service.shutdown(), { lostRecords: 0, late: [] });
    const signal = probe.signals.get('e');
    assert.ok(signal);
    // Past the timeout: a timer left running would have aborted it by now.
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(signal.aborted, false);
    assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 0);
  });
});
