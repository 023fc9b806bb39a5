'use strict';
// The logging side of "llm-proxy", a proxy for LLM APIs, without Go: one session's log records
// (session_start, then a request and its response per call, a fork) sent to a Sluice collector
// over OTLP/HTTP with the JSON encoding, one record per request, the way a Go service's OTLP
// logger would send them. The collector (configs/llm-proxy.yaml) writes them to JSONL and, with
// LLM_PROXY_LOKI_ENABLED=true, pushes them to Loki.
//
//   node examples/llm-proxy/proxy.js [--session ID] [--calls N]
//
// Environment: LLM_PROXY_OTLP_URL (default http://127.0.0.1:4318/v1/logs).

const { randomUUID } = require('node:crypto');
const { hostname, userInfo } = require('node:os');
const { parseArgs } = require('node:util');

const URL_DEFAULT = 'http://127.0.0.1:4318/v1/logs';
const PROVIDERS = [
  { provider: 'openai', model: 'gpt-4o-mini' },
  { provider: 'anthropic', model: 'claude-sonnet-4' },
];
// OTLP severity numbers: INFO and ERROR.
const INFO = 9;
const ERROR = 17;

/** An OTLP/JSON AnyValue: integers as intValue (a string in OTLP/JSON, as int64 is). */
function anyValue(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return { stringValue: String(value) };
}

function keyValues(fields) {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** An ExportLogsServiceRequest (OTLP/JSON) holding one record. */
function request(resource, record) {
  return {
    resourceLogs: [
      {
        resource: { attributes: keyValues(resource) },
        scopeLogs: [{ scope: { name: 'llm-proxy' }, logRecords: [record] }],
      },
    ],
  };
}

/** One proxy log record: log_type, provider, session_id, request_id and the rest as attributes. */
function record(severity, body, fields) {
  return {
    timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
    severityNumber: severity,
    severityText: severity === ERROR ? 'ERROR' : 'INFO',
    body: { stringValue: body },
    attributes: keyValues(fields),
  };
}

/** The session's records: session_start, a request and a response per call (every third one fails), a fork. */
function sessionLogs(sessionId, calls) {
  const { provider, model } = PROVIDERS[0];
  const logs = [record(INFO, 'session started', { log_type: 'session_start', provider, session_id: sessionId, model })];
  for (let i = 0; i < calls; i++) {
    const call = PROVIDERS[i % PROVIDERS.length];
    const requestId = `${sessionId}-r${i + 1}`;
    const base = { provider: call.provider, session_id: sessionId, request_id: requestId, model: call.model };
    logs.push(
      record(INFO, `POST /v1/chat/completions ${call.model}`, { log_type: 'request', ...base, stream: false, prompt_tokens: 120 + i }),
    );
    const failed = i % 3 === 2;
    const latency = 200 + ((i * 137) % 900);
    logs.push(
      failed
        ? record(ERROR, `${call.provider} answered 529: overloaded`, {
            log_type: 'response',
            ...base,
            status_code: 529,
            latency_ms: latency,
            error: 'overloaded',
          })
        : record(INFO, `200 ${call.model}`, {
            log_type: 'response',
            ...base,
            status_code: 200,
            latency_ms: latency,
            completion_tokens: 40 + i,
          }),
    );
  }
  logs.push(
    record(INFO, 'session forked', { log_type: 'fork', provider, session_id: sessionId, forked_session_id: `${sessionId}-fork`, model }),
  );
  return logs;
}

async function main() {
  const { values } = parseArgs({ options: { session: { type: 'string' }, calls: { type: 'string', default: '4' } } });
  const calls = Number(values.calls);
  if (!Number.isInteger(calls) || calls < 0) throw new Error('--calls needs a whole number');
  const sessionId = values.session ?? `s-${randomUUID().slice(0, 8)}`;
  const url = process.env.LLM_PROXY_OTLP_URL || URL_DEFAULT;
  const resource = { 'service.name': 'llm-proxy', 'service.version': '0.1.0', machine: `${userInfo().username}@${hostname()}` };
  const logs = sessionLogs(sessionId, calls);
  for (const log of logs) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request(resource, log)),
    });
    // The JSONL copy is primary: a refusal means the log is not on disk, so the proxy would fail its request.
    if (!res.ok) throw new Error(`the collector answered ${res.status}: ${await res.text()}`);
  }
  process.stdout.write(`session ${sessionId}: ${logs.length} log records sent to ${url}\n`);
}

main().catch((err) => {
  process.stderr.write(`llm-proxy example: ${err.message}\n`);
  process.exit(1);
});
