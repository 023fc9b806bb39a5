/** Fixtures for the config tests: fake components (schemas only), independent of the real ones, and a YAML helper. */
import { z } from 'zod';
import type { Component, Factory } from '../src/component';
import { duration, endpoint, requiredString, section } from '../src/config/schema';
import { Registry } from '../src/registry';

const inert: Component = { start: async () => {}, shutdown: async () => {} };
const consumer = { ...inert, consume: async () => {} };

const factories: Factory[] = [
  {
    kind: 'receiver',
    type: 'otlp',
    description: 'fake OTLP receiver',
    configSchema: section({
      protocols: section({
        grpc: section({ endpoint: endpoint('127.0.0.1:4317') }).optional(),
        http: section({ endpoint: endpoint('127.0.0.1:4318') }).optional(),
      }),
    }),
    unsupportedKeys: {
      'protocols.grpc.keepalive': { effect: 'ignore', why: 'keepalive uses the gRPC defaults' },
      'protocols.http.include_metadata': { effect: 'error', why: 'metadata would be dropped from records' },
    },
    create: () => inert,
  },
  {
    kind: 'processor',
    type: 'batch',
    description: 'fake batch processor',
    configSchema: section({
      send_batch_size: z.number().int().min(1).default(8192),
      timeout: duration('200ms'),
    }),
    capabilities: { mutatesData: false },
    create: () => consumer,
  },
  {
    kind: 'exporter',
    type: 'loki',
    description: 'fake Loki exporter',
    configSchema: section({
      endpoint: requiredString(),
      tenant_id: z.string().optional(),
      format: z.enum(['json', 'logfmt', 'raw']).default('json'),
      timeout: duration('5s'),
      headers: z.record(z.string()).default({}),
    }),
    create: () => consumer,
  },
  {
    kind: 'exporter',
    type: 'jsonl',
    aliases: ['file'],
    description: 'fake JSONL exporter',
    configSchema: section({ path: requiredString(), rotation: section({ max_megabytes: z.number().default(100) }) }),
    create: () => consumer,
  },
  {
    kind: 'extension',
    type: 'health_check',
    description: 'fake health check',
    configSchema: section({ endpoint: endpoint('127.0.0.1:13133') }),
    create: () => inert,
  },
];

export function testRegistry(): Registry {
  const registry = new Registry();
  for (const factory of factories) registry.register(factory);
  return registry;
}

/** Strips the first newline and the indentation of the first line, so line numbers read off the test. */
export function yaml(text: string): string {
  const body = text.replace(/^\n/, '');
  const indent = /^ */.exec(body)![0].length;
  return body
    .split('\n')
    .map((line) => line.slice(indent))
    .join('\n');
}
