import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { LogsData } from '@sluice/pdata';
import { encodeLogsProto } from '@sluice/pdata';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { PushStats } from '../test/support/loki/sink-main';
import { generateLoad, measureRoundTrips, type LoadResult } from './load';
import { benchRequest } from './payload';
import { floodWithSdk } from './sdk-flood';

const LOKI_SINK = resolve(__dirname, '../../test/dist/support/loki/sink-main.js');
/** The llm-proxy profile's path and records, as its tests have them (compiled beside them, so required from there). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const llmProxy = require(resolve(__dirname, '../../test/dist/support/llm-proxy.js')) as typeof import('../test/support/llm-proxy');

/** What the collector sends to, started before it. */
export interface Sink {
  /** Values for `config`, e.g. the push URL. */
  env: Record<string, string>;
  /** The pushes the sink accepted since the previous call. */
  stats?(): Promise<PushStats>;
}

/** One measured configuration. `config` returns the collector's YAML; none means the bare baseline server. */
export interface Scenario {
  name: string;
  description: string;
  /** Starts whatever the collector sends to (e.g. a Loki test server). */
  prepare?(work: string, track: (child: ChildProcess) => void): Promise<Sink>;
  config?(work: string, env: Record<string, string>): string;
  /** Requests to send in turn instead of the standard one, each of `records` records. */
  requests?(records: number): LogsData[];
  /** The measured load; without it, 8 connections post 100-record requests for the scenario's seconds. */
  drive?(url: string, seconds: number): Promise<LoadResult>;
}

const receiver = `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
`;
const quiet = `  telemetry: { metrics: { level: none }, logs: { level: warn } }`;

/**
 * Starts the Loki test server in its own process (decoding and validating every push, keeping
 * nothing). It prints `push <url>` when ready and answers each `stats` line on stdin with a
 * `stats <json>` line.
 */
function startLokiSink(_work: string, track: (child: ChildProcess) => void): Promise<Sink> {
  const child = spawn(process.execPath, [LOKI_SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
  track(child);
  const asked: Array<(stats: PushStats) => void> = [];
  const stats = () =>
    new Promise<PushStats>((resolveStats) => {
      asked.push(resolveStats);
      child.stdin.write('stats\n');
    });
  return new Promise((resolveSink, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      let line: RegExpExecArray | null;
      while ((line = /^(push|stats) (.*)\n/m.exec(out))) {
        out = out.slice(line.index + line[0].length);
        if (line[1] === 'push') resolveSink({ env: { pushUrl: line[2]! }, stats });
        else asked.shift()?.(JSON.parse(line[2]!) as PushStats);
      }
    });
    child.once('exit', (code) => reject(new Error(`the Loki sink exited (${code}) before starting`)));
  });
}

/** otelcol's defaults (8192 records / 200 ms), as the configs users copy have it. */
const batchProcessor = `processors:
  batch:
`;

function lokiScenario(
  name: string,
  format: 'raw' | 'json',
  description: string,
  processors = '',
  drive?: Scenario['drive'],
  workers = 1,
): Scenario {
  return {
    name,
    description,
    prepare: startLokiSink,
    ...(drive ? { drive } : {}),
    config: (_work, env) => `${receiver}${processors}exporters:
  loki:
    endpoint: ${env.pushUrl}
    format: ${format}
service:
${quiet}${workers > 1 ? `\n  workers: ${workers}` : ''}
  pipelines:
    logs: { receivers: [otlp],${processors ? ' processors: [batch],' : ''} exporters: [loki] }
`,
  };
}

const BASELINE_SERVER = resolve(__dirname, 'baseline-server.js');

/** The floor's own server, in its own process, as the gateway an OTLP exporter forwards to. */
function startDiscardingGateway(_work: string, track: (child: ChildProcess) => void): Promise<Sink> {
  const child = spawn(process.execPath, [BASELINE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child);
  return new Promise((resolveSink, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /baseline (http:\/\/\S+)\/v1\/logs/.exec(out);
      if (match) resolveSink({ env: { gatewayUrl: match[1]! } });
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before starting`)));
  });
}

/** Agent → gateway: OTLP/HTTP protobuf in, otlphttp out (no processor, so the bytes are forwarded as they came). */
const otlpForward: Scenario = {
  name: 'otlp-forward',
  description: 'otlp → otlphttp (protobuf, compression none) to a discarding gateway; no processor: bytes forwarded undecoded',
  prepare: startDiscardingGateway,
  config: (_work, env) => `${receiver}exporters:
  otlphttp:
    endpoint: ${env.gatewayUrl}
    compression: none
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp] }
`,
};

/** The batch processor settings of issue reports: an SDK exporting 512 records at a time must not wait 5 s per export. */
const sdkBatchProcessor = `processors:
  batch: { send_batch_size: 1000, timeout: 5s }
`;

const SINGLE_RECORD_REQUESTS = 20_000;

/** 20,000 requests of one record each over 8 connections: how many pushes Loki gets for them. */
function singleRecordRequests(url: string): Promise<LoadResult> {
  return generateLoad(url, [encodeLogsProto(benchRequest(1))], 1, Infinity, 8, SINGLE_RECORD_REQUESTS);
}

function jsonlScenario(name: string, description: string, processors = ''): Scenario {
  return {
    name,
    description,
    config: (work) => `${receiver}${processors}exporters:
  jsonl: { path: ${work}/logs.jsonl }
service:
${quiet}
  pipelines:
    logs: { receivers: [otlp],${processors ? ' processors: [batch],' : ''} exporters: [jsonl] }
`,
  };
}

/**
 * configs/llm-proxy.yaml as shipped, Loki on or off (as LLM_PROXY_LOKI_ENABLED would set it),
 * with the listeners on free ports and the JSONL file in the work dir; the rest keeps its defaults.
 */
function llmProxyScenario(loki: boolean): Scenario {
  return {
    name: `llm-proxy-loki-${loki ? 'on' : 'off'}`,
    description: `configs/llm-proxy.yaml, Loki ${loki ? 'on' : 'off'}: round trips of one-record requests, one at a time (p50/p99 below)`,
    ...(loki ? { prepare: startLokiSink } : {}),
    config: (work, env) => {
      const profile = parse(readFileSync(llmProxy.LLM_PROXY_PROFILE, 'utf8')) as {
        receivers: { otlp: { protocols: Record<string, { endpoint: string }> } };
        exporters: { jsonl: { path: string }; loki: { enabled: unknown; endpoint: string } };
        extensions: { health_check: { endpoint?: string } | null };
        service: Record<string, unknown>;
      };
      for (const protocol of Object.values(profile.receivers.otlp.protocols)) protocol.endpoint = '127.0.0.1:0';
      profile.exporters.jsonl.path = `${work}/llm-proxy.jsonl`;
      profile.exporters.loki.enabled = loki;
      if (env.pushUrl) profile.exporters.loki.endpoint = env.pushUrl;
      profile.extensions.health_check = { endpoint: '127.0.0.1:0' };
      profile.service.telemetry = { metrics: { level: 'none' }, logs: { level: 'warn' } };
      return stringify(profile);
    },
    drive: (url, seconds) => {
      const request = llmProxy.proxyLogs({ logType: 'response', provider: 'openai', session: 's-bench', request: 'r-1' });
      return measureRoundTrips(url, encodeLogsProto(request), 1, seconds);
    },
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
  jsonlScenario('jsonl-batch', 'otlp → batch (otelcol defaults) → jsonl', batchProcessor),
  {
    ...jsonlScenario('jsonl-servers', 'otlp → jsonl, one file, with the jsonl-routed requests (its single-file reference)'),
    requests: serverRequests,
  },
  jsonlRouted,
  otlpForward,
  lokiScenario('loki-raw', 'raw', 'otlp → loki (format raw: body lines, the rest in structured metadata; protobuf+snappy)'),
  lokiScenario(
    'loki-raw-2w',
    'raw',
    `loki-raw with service.workers: 2 (this machine has ${availableParallelism()} cores; CPU and RSS cover every process)`,
    '',
    undefined,
    2,
  ),
  lokiScenario('loki-json', 'json', 'otlp → loki (format json: otelcol lokiexporter lines; protobuf+snappy)'),
  lokiScenario('loki-json-batch', 'json', 'otlp → batch (otelcol defaults) → loki (format json); against loki-json', batchProcessor),
  lokiScenario(
    'otel-sdk-batch',
    'json',
    'OTel JS SDK BatchLogRecordProcessor flooding otlp → batch (1000 records / 5s) → loki (format json); failed = refused exports',
    sdkBatchProcessor,
    floodWithSdk,
  ),
  lokiScenario(
    'loki-1-record',
    'json',
    `${SINGLE_RECORD_REQUESTS.toLocaleString('en-US')} requests of 1 record → loki (format json): Loki pushes per request`,
    '',
    singleRecordRequests,
  ),
  llmProxyScenario(false),
  llmProxyScenario(true),
];
