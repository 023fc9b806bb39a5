/**
 * Fixtures for core's config-loading tests: minimal fake components (schemas only), since core
 * cannot depend on the real ones, and a YAML helper. What users see for each mistake in a real
 * component's section is tested against the built-in components (packages/collector/test/config-errors.test.ts).
 */
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
    }),
    create: () => consumer,
  },
  {
    kind: 'exporter',
    type: 'jsonl',
    aliases: ['file'],
    description: 'fake JSONL exporter',
    configSchema: section({ path: requiredString() }),
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
