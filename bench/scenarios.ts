import type { ChildProcess } from 'node:child_process';

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
];
