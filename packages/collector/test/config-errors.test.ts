/**
 * Every way a config can be wrong, each with its exact code, key path and line, checked against
 * the built-in components (their schemas and unsupported keys, not stand-ins): the table is
 * the contract `sluice validate` prints from.
 */
import assert from 'node:assert/strict';
import { formatDiagnostic, loadConfigText, type ConfigDiagnostic } from '@sluice/core';
import { builtinComponents } from '../src';

/** `error SLUICE_CONFIG_X path @line:column` — compact enough to list every diagnostic of a case. */
function summary(d: ConfigDiagnostic): string {
  return `${d.severity} ${d.code} ${d.path} @${d.line}:${d.column}`;
}

interface Case {
  name: string;
  text: string;
  env?: NodeJS.ProcessEnv;
  expected: string[];
  /** Text each listed diagnostic's formatted message must contain, by index in `expected`. */
  messages?: Record<number, string[]>;
}

const cases: Case[] = [
  {
    name: 'a typo’d key, with the nearest valid key suggested',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  loki:
    endpont: http://loki:3100/loki/api/v1/push
    endpoint: http://loki:3100/loki/api/v1/push
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`,
    expected: ['error SLUICE_CONFIG_UNKNOWN_KEY exporters.loki.endpont @5:5'],
    messages: { 0: ['SLUICE_CONFIG_UNKNOWN_KEY: exporters.loki.endpont (config.yaml:5:5): unknown key; did you mean endpoint?'] },
  },
  {
    name: 'an unknown key far from any valid one lists the valid keys',
    text: `receivers:
  otlp:
    protocols:
      websocket:
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: [
      'error SLUICE_CONFIG_INVALID_VALUE receivers.otlp.protocols @3:5',
      'error SLUICE_CONFIG_UNKNOWN_KEY receivers.otlp.protocols.websocket @4:7',
    ],
    messages: { 1: ['valid keys here: grpc, http'] },
  },
  {
    name: 'an unknown component type lists the built-in types of its kind',
    text: `receivers:
  filelog:
    include: [/var/log/*.log]
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [filelog], exporters: [file] }
`,
    expected: ['error SLUICE_CONFIG_UNKNOWN_TYPE receivers.filelog @2:3'],
    messages: { 0: ['unknown receiver type "filelog"', 'built-in receiver types: otlp'] },
  },
  {
    name: 'an unknown exporter type close to a built-in one is suggested, aliases listed',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  lokki/main:
    endpoint: http://loki
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [lokki/main] }
`,
    expected: ['error SLUICE_CONFIG_UNKNOWN_TYPE exporters.lokki/main @4:3'],
    messages: { 0: ['did you mean loki?', 'built-in exporter types: debug, file, jsonl, load_balancing, loadbalancing, loki'] },
  },
  {
    name: 'a pipeline naming an undefined component, located at the list item',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters:
        - file
        - loki
`,
    expected: ['error SLUICE_CONFIG_UNDEFINED_COMPONENT service.pipelines.logs.exporters[1] @11:11'],
    messages: { 0: ['"loki" is not configured under exporters'] },
  },
  {
    name: 'a component named under the wrong kind says where it is configured',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], processors: [file], exporters: [file] }
`,
    expected: ['error SLUICE_CONFIG_UNDEFINED_COMPONENT service.pipelines.logs.processors[0] @7:45'],
    messages: { 0: ['it is configured under exporters'] },
  },
  {
    name: 'a required key left empty by an unset env var names the variable, file and line',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  loki:
    endpoint: \${env:LOKI_ENDPOINT}
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`,
    env: {},
    expected: ['error SLUICE_CONFIG_REQUIRED exporters.loki.endpoint @5:15'],
    messages: {
      0: ['SLUICE_CONFIG_REQUIRED: exporters.loki.endpoint (config.yaml:5:15)', 'environment variable LOKI_ENDPOINT is not set'],
    },
  },
  {
    name: 'a required key that is missing altogether is located at its section',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file:
    rotation: { max_megabytes: 10 }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: ['error SLUICE_CONFIG_REQUIRED exporters.file.path @4:3'],
    messages: { 0: ['is required'] },
  },
  {
    name: 'an unknown top-level key, with a suggestion',
    text: `receivers:
  otlp: { protocols: { http: } }
exporter:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: [
      'error SLUICE_CONFIG_UNKNOWN_KEY exporter @3:1',
      'error SLUICE_CONFIG_UNDEFINED_COMPONENT service.pipelines.logs.exporters[0] @7:44',
    ],
    messages: { 0: ['did you mean exporters?'] },
  },
  {
    name: 'a bad component id',
    text: `receivers:
  otlp/:
  "9otlp":
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: ['error SLUICE_CONFIG_BAD_ID receivers.otlp/ @2:3', 'error SLUICE_CONFIG_BAD_ID receivers.9otlp @3:3'],
    messages: { 0: ['write type or type/name'] },
  },
  {
    name: 'type and range errors are readable',
    text: `receivers:
  otlp: { protocols: { http: } }
processors:
  batch:
    send_batch_size: -1
    timeout: soon
exporters:
  loki:
    endpoint: http://loki
    format: jsn
    headers: { X-Scope-OrgID: 42 }
service:
  pipelines:
    logs: { receivers: [otlp], processors: [batch], exporters: [loki] }
`,
    expected: [
      'error SLUICE_CONFIG_INVALID_VALUE processors.batch.send_batch_size @5:22',
      'error SLUICE_CONFIG_INVALID_VALUE processors.batch.timeout @6:14',
      'error SLUICE_CONFIG_INVALID_VALUE exporters.loki.format @10:13',
      'error SLUICE_CONFIG_INVALID_VALUE exporters.loki.headers.X-Scope-OrgID @11:31',
    ],
    messages: {
      0: ['must be at least 0'],
      1: ['"soon" is not a duration'],
      2: ['"jsn" is not one of json, logfmt, raw; did you mean json?'],
      3: ['expected a string, got a number'],
    },
  },
  {
    name: 'several errors in several sections are reported at once, in file order',
    text: `receivers:
  otlp:
    protocols:
      grcp:
processors:
  batch:
    timeout: true
exporters:
  loki:
    endpont: http://loki
service:
  pipelines:
    logs: { receivers: [otlp], processors: [batch, batch], exporters: [loki, file] }
`,
    expected: [
      'error SLUICE_CONFIG_INVALID_VALUE receivers.otlp.protocols @3:5',
      'error SLUICE_CONFIG_UNKNOWN_KEY receivers.otlp.protocols.grcp @4:7',
      'error SLUICE_CONFIG_INVALID_VALUE processors.batch.timeout @7:14',
      'error SLUICE_CONFIG_REQUIRED exporters.loki.endpoint @9:3',
      'error SLUICE_CONFIG_UNKNOWN_KEY exporters.loki.endpont @10:5',
      'error SLUICE_CONFIG_PIPELINE service.pipelines.logs.processors[1] @13:52',
      'error SLUICE_CONFIG_UNDEFINED_COMPONENT service.pipelines.logs.exporters[1] @13:78',
    ],
    messages: { 1: ['did you mean grpc?'], 2: ['expected a string or a number, got a boolean'], 5: ['"batch" is listed twice'] },
  },
  {
    name: 'an unsupported otelcol key is a warning when ignoring it is harmless',
    text: `receivers:
  otlp:
    protocols:
      grpc:
        keepalive:
          server_parameters: { max_connection_idle: 11s }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: ['warning SLUICE_CONFIG_UNSUPPORTED_KEY receivers.otlp.protocols.grpc.keepalive @5:9'],
    messages: { 0: ['is an otelcol key Sluice does not implement; ignored', 'grpc-js keepalive defaults apply'] },
  },
  {
    name: 'an unsupported otelcol key is an error when ignoring it would change the data',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  loki:
    endpoint: http://loki:3100/loki/api/v1/push
    proxy_url: http://proxy:3128
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`,
    expected: ['error SLUICE_CONFIG_UNSUPPORTED_KEY exporters.loki.proxy_url @6:5'],
    messages: { 0: ['ignoring it would send straight to Loki'] },
  },
  {
    name: 'a YAML syntax error is located',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl
service: {}
`,
    expected: ['error SLUICE_CONFIG_YAML  @5:1'],
  },
  {
    name: 'a key written twice is a YAML error at the second one',
    text: `receivers:
  otlp: {}
  otlp: {}
`,
    expected: ['error SLUICE_CONFIG_YAML  @3:3'],
    messages: { 0: ['unique'] },
  },
  {
    name: 'a traces pipeline is refused: Sluice carries logs and metrics derived from them',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
    traces: { receivers: [otlp], exporters: [file] }
    logz/x: { receivers: [otlp], exporters: [file] }
`,
    expected: ['error SLUICE_CONFIG_PIPELINE service.pipelines.traces @8:5', 'error SLUICE_CONFIG_BAD_ID service.pipelines.logz/x @9:5'],
    messages: { 0: ['carries logs (and metrics derived from them by connectors)'] },
  },
  {
    name: 'a pipeline without a receiver or an exporter',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
    logs/empty:
      processors: []
`,
    expected: [
      'error SLUICE_CONFIG_PIPELINE service.pipelines.logs/empty.receivers @8:5',
      'error SLUICE_CONFIG_PIPELINE service.pipelines.logs/empty.exporters @8:5',
    ],
    messages: { 0: ['at least one receiver'], 1: ['at least one exporter'] },
  },
  {
    name: 'a config without a service section',
    text: `receivers:
  otlp: { protocols: { http: } }
`,
    expected: ['error SLUICE_CONFIG_REQUIRED service @1:1'],
  },
  {
    name: 'an unknown connector type, an unset extension is undefined, an unlisted one is a warning',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
  loki/unused: { endpoint: http://loki }
extensions:
  health_check:
connectors:
  forward:
service:
  extensions: [pprof]
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: [
      'error SLUICE_CONFIG_UNKNOWN_TYPE connectors.forward @9:3',
      'error SLUICE_CONFIG_UNDEFINED_COMPONENT service.extensions[0] @11:16',
      'warning SLUICE_CONFIG_UNUSED exporters.loki/unused @5:3',
      'warning SLUICE_CONFIG_UNUSED extensions.health_check @7:3',
    ],
  },
  {
    name: 'connectors: unsupported keys are coded, a connector needs both ends, signals must match',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
  prometheus: { endpoint: 127.0.0.1:0 }
connectors:
  count:
    spans: { span.count: {} }
  count/orphan:
  signaltometrics:
    logs:
      - name: latency
        exponential_histogram:
          value: attributes["ms"]
      - name: bad
        sum:
          value: attributes["ms"] +
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file, count, count/orphan, signaltometrics, prometheus] }
    metrics: { receivers: [count, signaltometrics], processors: [batch], exporters: [prometheus, file] }
`,
    expected: [
      'error SLUICE_CONFIG_PIPELINE connectors.count/orphan @9:3',
      'error SLUICE_CONFIG_INVALID_VALUE connectors.signaltometrics.logs[0] @12:9',
      'error SLUICE_CONFIG_UNSUPPORTED_KEY connectors.signaltometrics.logs[0].exponential_histogram @13:9',
      'error SLUICE_CONFIG_INVALID_VALUE connectors.signaltometrics.logs[1].sum.value @17:18',
      'error SLUICE_CONFIG_PIPELINE service.pipelines.logs.exporters[4] @20:88',
      'error SLUICE_CONFIG_PIPELINE service.pipelines.metrics.processors @21:53',
      'error SLUICE_CONFIG_UNDEFINED_COMPONENT service.pipelines.metrics.processors[0] @21:66',
      'error SLUICE_CONFIG_PIPELINE service.pipelines.metrics.exporters[1] @21:98',
      'warning SLUICE_CONFIG_UNSUPPORTED_KEY connectors.count.spans @8:5',
    ],
    messages: {
      0: ['receiver of no metrics pipeline'],
      1: ['exactly one of sum, gauge or histogram'],
      2: ['exponential histograms are not implemented'],
      3: ['OTTL value'],
      4: ['exporter "prometheus" takes metrics'],
    },
  },
  {
    name: 'service keys are checked like component keys',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: /tmp/out.jsonl }
service:
  shutdown_timeot: 5s
  telemetry:
    metrics:
      level: verbose
    traces:
      processors: []
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: [
      'error SLUICE_CONFIG_UNKNOWN_KEY service.shutdown_timeot @6:3',
      'error SLUICE_CONFIG_INVALID_VALUE service.telemetry.metrics.level @9:14',
      'warning SLUICE_CONFIG_UNSUPPORTED_KEY service.telemetry.traces @10:5',
    ],
    messages: { 0: ['did you mean shutdown_timeout?'] },
  },
  {
    name: 'an unsupported config provider scheme',
    text: `receivers:
  otlp: { protocols: { http: } }
exporters:
  file: { path: "\${file:/run/secrets/path}" }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
`,
    expected: ['error SLUICE_CONFIG_INVALID_VALUE exporters.file.path @4:17', 'error SLUICE_CONFIG_REQUIRED exporters.file.path @4:17'],
    messages: { 0: ['"file" config provider is not supported'] },
  },
];

describe('config errors', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = loadConfigText(c.text, builtinComponents(), { env: c.env ?? {}, file: 'config.yaml' });
      assert.deepEqual(result.diagnostics.map(summary), c.expected);
      if (c.expected.some((line) => line.startsWith('error'))) assert.equal(result.config, undefined);
      for (const [index, parts] of Object.entries(c.messages ?? {})) {
        const formatted = formatDiagnostic(result.diagnostics[Number(index)]!);
        for (const part of parts) assert.ok(formatted.includes(part), `"${formatted}" should contain "${part}"`);
      }
    });
  }
});
