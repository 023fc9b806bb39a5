import assert from 'node:assert/strict';
import type { ExporterFactory, LogsConsumer, ProcessorCapabilities, ProcessorFactory, ReceiverFactory } from '../src/component';
import { section } from '../src/config/schema';
import { createMemoryLogger } from '../src/logger';
import { Service, type ServiceGraphConfig } from '../src/pipeline/service';
import { Telemetry } from '../src/telemetry/telemetry';

const inert = { start: async () => {}, shutdown: async () => {} };

/** Whether the receiver of a one-pipeline service is told to keep the bytes of protobuf requests. */
async function receiverWantsBytes(exporterUsesBytes: boolean[], processors: ProcessorCapabilities[] = []): Promise<boolean> {
  let fed: LogsConsumer | undefined;
  const receiver: ReceiverFactory = {
    kind: 'receiver',
    type: 'r',
    description: 'test',
    configSchema: section({}),
    create: (_s, _c, next) => {
      fed = next;
      return inert;
    },
  };
  const exporter = (usesWireBytes: boolean): ExporterFactory => ({
    kind: 'exporter',
    type: 'e',
    description: 'test',
    configSchema: section({}),
    create: () => ({ ...inert, consume: async () => {}, usesWireBytes }),
  });
  const processor = (capabilities: ProcessorCapabilities): ProcessorFactory => ({
    kind: 'processor',
    type: 'p',
    description: 'test',
    configSchema: section({}),
    capabilities,
    create: (_s, _c, next) => ({ ...inert, consume: (logs, context) => next.consume(logs, context) }),
  });
  const exporters = exporterUsesBytes.map((uses, i) => [`e/${i}`, { id: `e/${i}`, factory: exporter(uses), config: {} }] as const);
  const processorEntries = processors.map((c, i) => [`p/${i}`, { id: `p/${i}`, factory: processor(c), config: {} }] as const);
  const config: ServiceGraphConfig = {
    receivers: new Map([['r', { id: 'r', factory: receiver, config: {} }]]),
    processors: new Map(processorEntries),
    exporters: new Map(exporters),
    extensions: new Map(),
    service: {
      extensions: [],
      pipelines: [{ id: 'logs', receivers: ['r'], processors: processorEntries.map(([id]) => id), exporters: exporters.map(([id]) => id) }],
      shutdownTimeoutMs: 1000,
    },
  };
  const service = new Service(config, createMemoryLogger(), new Telemetry());
  await service.start();
  await service.shutdown();
  assert.ok(fed, 'the receiver was created');
  return fed.wantsWireBytes === true;
}

describe('service: receivers keep request bytes only where an exporter uses them', () => {
  it('keeps them when an exporter of the pipeline works from the bytes and nothing between merges or changes requests', async () => {
    assert.equal(await receiverWantsBytes([true]), true);
    assert.equal(await receiverWantsBytes([false, true]), true);
    assert.equal(await receiverWantsBytes([true], [{ mutatesData: false, passesRequestsThrough: true }]), true);
  });

  it('decodes at once when no exporter uses the bytes, or a processor merges or changes requests', async () => {
    assert.equal(await receiverWantsBytes([false]), false);
    assert.equal(await receiverWantsBytes([true], [{ mutatesData: false }]), false, 'a processor that merges requests (batch)');
    assert.equal(await receiverWantsBytes([true], [{ mutatesData: true }]), false);
    assert.equal(
      await receiverWantsBytes(
        [true],
        [
          { mutatesData: false, passesRequestsThrough: true },
          { mutatesData: true, passesRequestsThrough: true },
        ],
      ),
      false,
    );
  });
});
