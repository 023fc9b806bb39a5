import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const LOKI_SINK = resolve(__dirname, '../../test/dist/support/loki/sink-main.js');

/** One measured configuration. `config` returns the collector's YAML; none means the bare baseline server. */
export interface Scenario {
  name: string;
  description: string;
  /** Starts whatever the collector sends to (e.g. a Loki test server); returns values for `config`. */
  prepare?(work: string, track: (child: ChildProcess) => void): Promise<Record<string, string>>;
  config?(work: string, env: Record<string, string>): string;
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
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^push (\S+)$/m.exec(out);
      if (match) resolveSink({ pushUrl: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`the Loki sink exited (${code}) before starting`)));
  });
}

function lokiScenario(name: string, format: 'raw' | 'json', description: string, processors = ''): Scenario {
  return {
    name,
    description,
    prepare: startLokiSink,
    config: (_work, env) => `${receiver}${processors ? `processors:\n  ${processors}:\n` : ''}exporters:
  loki:
    endpoint: ${env.pushUrl}
    format: ${format}
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp],${processors ? ` processors: [${processors}],` : ''} exporters: [loki] }
`,
  };
}

export const scenarios: Scenario[] = [
  { name: 'baseline', description: 'Node http server that reads each body and discards it' },
  {
    name: 'jsonl',
    description: 'otlp → jsonl (format json, one LogsData a line)',
    config: (work) => `${receiver}exporters:
  jsonl: { path: ${work}/logs.jsonl }
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp], exporters: [jsonl] }
`,
  },
  lokiScenario('loki-raw', 'raw', 'otlp → loki (format raw: body lines, the rest in structured metadata; protobuf+snappy)'),
  lokiScenario('loki-json', 'json', 'otlp → loki (format json: otelcol lokiexporter lines; protobuf+snappy)'),
  lokiScenario('loki-json-batch', 'json', 'otlp → batch → loki (format json)', 'batch'),
];
