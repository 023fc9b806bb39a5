import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of `@sluice/collector` these tests use; loaded at run time so the SDK never depends on it. */
interface CollectorModule {
  startCollector(options: { configText: string }): Promise<{ endpoints: Record<string, string>; shutdown(): Promise<void> }>;
}

/** One record of the collector's `jsonl` exporter in `format: flat`. */
export interface FlatRecord {
  time_unix_nano?: string;
  severity_text?: string;
  severity_number?: number;
  body?: unknown;
  attributes?: Record<string, unknown>;
  resource?: Record<string, unknown>;
  scope?: { name?: string; version?: string };
  trace_id?: string;
  span_id?: string;
}

export interface TestCollector {
  grpc: string;
  http: string;
  dir: string;
  records(): Promise<FlatRecord[]>;
  /** Polls the JSONL file until `count` records are there (the exporter writes asynchronously). */
  waitForRecords(count: number, timeoutMs?: number): Promise<FlatRecord[]>;
  stop(): Promise<void>;
}

export function loadCollector(): CollectorModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@sluice/collector') as CollectorModule;
}

/** How the collector's OTLP receiver is secured: TLS (mutual when clientCaFile is set) and a bearer token. */
export interface CollectorSecurity {
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  token?: string;
}

/**
 * A real collector in this process: OTLP gRPC + HTTP on 127.0.0.1:0 (with TLS and bearer-token
 * auth when asked) → a flat JSONL file in a temp dir.
 */
export async function startTestCollector(security: CollectorSecurity = {}): Promise<TestCollector> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sdk-e2e-'));
  const file = join(dir, 'logs.jsonl');
  const { tls, token } = security;
  const tlsBlock = tls
    ? `, tls: { cert_file: ${JSON.stringify(tls.certFile)}, key_file: ${JSON.stringify(tls.keyFile)}` +
      (tls.clientCaFile ? `, client_ca_file: ${JSON.stringify(tls.clientCaFile)}` : '') +
      ' }'
    : '';
  const authBlock = token ? ', auth: { authenticator: bearertokenauth }' : '';
  const configText = `
${token ? `extensions:\n  bearertokenauth:\n    token: ${JSON.stringify(token)}` : ''}
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0${tlsBlock}${authBlock} }
      http: { endpoint: 127.0.0.1:0${tlsBlock}${authBlock} }
exporters:
  jsonl:
    path: ${JSON.stringify(file)}
    format: flat
service:
  ${token ? 'extensions: [bearertokenauth]' : ''}
  telemetry:
    metrics:
      level: none
    logs:
      level: error
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [jsonl]
`;
  const collector = await loadCollector().startCollector({ configText });
  const records = async (): Promise<FlatRecord[]> => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as FlatRecord);
  };
  return {
    grpc: collector.endpoints['otlp/grpc']!,
    http: collector.endpoints['otlp/http']!,
    dir,
    records,
    async waitForRecords(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = await records();
        if (got.length >= count || Date.now() > deadline) return got;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      await collector.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
