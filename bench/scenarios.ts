import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { LogsData } from '@sluice/pdata';
import { benchRequest } from './payload';

const LOKI_SINK = resolve(__dirname, '../../test/dist/support/loki/sink-main.js');

/** One measured configuration. `config` returns the collector's YAML; none means the bare baseline server. */
export interface Scenario {
  name: string;
  description: string;
  /** Starts whatever the collector sends to (e.g. a Loki test server); returns values for `config`. */
  prepare?(work: string, track: (child: ChildProcess) => void): Promise<Record<string, string>>;
  config?(work: string, env: Record<string, string>): string;
  /** Requests to send in turn instead of the standard one, each of `records` records. */
  requests?(records: number): LogsData[];
}

const receiver = `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
`;
const quiet = `  telemetry: { metrics: { level: none }, logs: { level: warn } }`;

/** Starts the Loki test server in its own process (decoding and validating every push, keeping nothing). */
function startLokiSink(_work: string, track: (child: ChildProcess) => void): Promise<Record<string, string>> {
  const child = spawn(process.execPath, [LOKI_SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child);
  return new Promise((resolveSink, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^push (\S+)$/m.exec(out);
      if (match) resolveSink({ pushUrl: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`the Loki sink exited (${code}) before starting`)));
  });
}

/**
 * Sluice answers a request only once its batch is accepted downstream, so a batch processor
 * holds each client's request until the batch fills or times out: with 8 clients sending 100
 * records at a time, a size trigger of 800 fills once every client has a request in.
 */
const batchProcessor = `processors:
  batch: { send_batch_size: 800, timeout: 200ms }
`;

function lokiScenario(name: string, format: 'raw' | 'json', description: string, batched = false): Scenario {
  return {
    name,
    description,
    prepare: startLokiSink,
    config: (_work, env) => `${receiver}${batched ? batchProcessor : ''}exporters:
  loki:
    endpoint: ${env.pushUrl}
    format: ${format}
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp],${batched ? ' processors: [batch],' : ''} exporters: [loki] }
`,
  };
}

function jsonlScenario(name: string, description: string, batched = false): Scenario {
  return {
    name,
    description,
    config: (work) => `${receiver}${batched ? batchProcessor : ''}exporters:
  jsonl: { path: ${work}/logs.jsonl }
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp],${batched ? ' processors: [batch],' : ''} exporters: [jsonl] }
`,
  };
}

const SERVERS = 1000;

/** The standard requests, each record carrying a `server` attribute: together they cover SERVERS servers. */
function serverRequests(records: number): LogsData[] {
  const count = Math.ceil(SERVERS / records);
  return Array.from({ length: count }, (_, r) => {
    const request = benchRequest(records);
    request.resourceLogs[0]!.scopeLogs[0]!.logRecords.forEach((record, i) =>
      record.attributes.push({ key: 'server', value: `server-${(r * records + i) % SERVERS}` }),
    );
    return request;
  });
}

const jsonlRouted: Scenario = {
  name: 'jsonl-routed',
  description: `otlp → jsonl routed by a record attribute over ${SERVERS} servers (path {resource.service.name}/{attributes.server}/logs.jsonl)`,
  requests: serverRequests,
  config: (work) => `${receiver}exporters:
  jsonl:
    path: ${work}/telemetry/{resource.service.name}/{attributes.server|_unrouted}/logs.jsonl
    group_by: { max_open_files: ${SERVERS} }
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl] }
`,
};

export const scenarios: Scenario[] = [
  { name: 'baseline', description: 'Node http server that reads each body and discards it' },
  jsonlScenario('jsonl', 'otlp → jsonl (format json, one LogsData a line)'),
  jsonlScenario('jsonl-batch', 'otlp → batch → jsonl', true),
  {
    ...jsonlScenario('jsonl-servers', 'otlp → jsonl, one file, with the jsonl-routed requests (its single-file reference)'),
    requests: serverRequests,
  },
  jsonlRouted,
  lokiScenario('loki-raw', 'raw', 'otlp → loki (format raw: body lines, the rest in structured metadata; protobuf+snappy)'),
  lokiScenario('loki-json', 'json', 'otlp → loki (format json: otelcol lokiexporter lines; protobuf+snappy)'),
  lokiScenario('loki-json-batch', 'json', 'otlp → batch → loki (format json)', true),
];
