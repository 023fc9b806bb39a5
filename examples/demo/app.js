'use strict';
// A pretend "checkout" web service that logs the way a real one does: one line per HTTP request,
// session logins and logouts, slow requests and the odd failure, each carrying the trace and span
// ids of the request it belongs to. Logs go through pino to @sluice/sdk, which ships them to a
// Sluice collector over OTLP; each request's span goes, with the OTel JS SDK, straight to a trace
// backend (Tempo), so a log line's trace_id opens its trace and the trace finds its logs.
//
//   SLUICE_ENDPOINT=http://127.0.0.1:4317 SLUICE_INSECURE=true node examples/demo/app.js
//   node examples/demo/app.js --count 50     emit 50 requests, flush, exit (used by the tests)
//
// Environment: SLUICE_ENDPOINT (default http://127.0.0.1:4317), SLUICE_TOKEN (bearer token),
// SLUICE_INSECURE=true (plaintext gRPC even with a token, which is then sent in clear: fine on a
// private network only), DEMO_SERVICE_NAME (default "checkout"), DEMO_INTERVAL_MS (default 250),
// DEMO_TRACES_ENDPOINT (OTLP/HTTP traces URL, e.g. http://tempo:4318/v1/traces; unset: spans are
// made for their ids but not exported).

const { randomBytes, randomInt } = require('node:crypto');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BatchSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace');
const pino = require('pino');
const { startLogBridge } = require('@sluice/sdk');

const ROUTES = [
  { method: 'GET', route: '/api/products', weight: 6 },
  { method: 'GET', route: '/api/products/:id', weight: 5 },
  { method: 'GET', route: '/api/cart', weight: 4 },
  { method: 'POST', route: '/api/cart/items', weight: 3 },
  { method: 'POST', route: '/api/checkout', weight: 1 },
];
const FAILURES = [
  { status: 502, error: 'PaymentGatewayError', message: 'payment provider timed out after 3000 ms' },
  { status: 500, error: 'DatabaseError', message: 'connection terminated unexpectedly' },
  { status: 409, error: 'StockError', message: 'item out of stock' },
];
const USER_AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'Mozilla/5.0 (Macintosh) Safari/17.5', 'okhttp/4.12.0'];

function parseCount(argv) {
  const at = argv.indexOf('--count');
  if (at === -1) return undefined;
  const count = Number(argv[at + 1]);
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write('demo: --count needs a positive integer\n');
    process.exit(2);
  }
  return count;
}

function pickRoute() {
  let roll = randomInt(ROUTES.reduce((sum, r) => sum + r.weight, 0));
  for (const route of ROUTES) {
    roll -= route.weight;
    if (roll < 0) return route;
  }
  return ROUTES[0];
}

/** Visitors come and go: a small pool of live sessions, each with its user. */
class Sessions {
  constructor(logger) {
    this.logger = logger;
    this.live = [];
  }

  pick(trace) {
    if (this.live.length < 3 || randomInt(20) === 0) this.open(trace);
    const session = this.live[randomInt(this.live.length)];
    if (randomInt(40) === 0) this.close(session, trace);
    return session;
  }

  open(trace) {
    const session = { id: randomBytes(8).toString('hex'), userId: `user-${randomInt(1000, 9999)}` };
    this.live.push(session);
    this.logger.info({ ...trace, session_id: session.id, user_id: session.userId }, 'user logged in');
  }

  close(session, trace) {
    this.live = this.live.filter((s) => s !== session);
    this.logger.info({ ...trace, session_id: session.id, user_id: session.userId }, 'user logged out');
  }
}

/** The request's server span; without a traces endpoint it is still made, for its ids. */
function startTracing(serviceName) {
  const url = process.env.DEMO_TRACES_ENDPOINT;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': '1.4.2', 'deployment.environment.name': 'demo' }),
    spanProcessors: url ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })] : [],
  });
  return { tracer: provider.getTracer('demo'), provider };
}

/** One simulated request: a fresh trace, its server span, and the lines a handler would log. */
function handleRequest(logger, sessions, tracer) {
  const { method, route } = pickRoute();
  const path = route.replace(':id', String(randomInt(1, 500)));
  const span = tracer.startSpan(`${method} ${route}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': method, 'http.route': route, 'url.path': path },
  });
  const { traceId, spanId } = span.spanContext();
  // Field names the SDK (like @opentelemetry/instrumentation-pino) reads as the record's trace context.
  const trace = { trace_id: traceId, span_id: spanId, trace_flags: '01' };
  const session = sessions.pick(trace);
  const request = {
    ...trace,
    session_id: session.id,
    user_id: session.userId,
    request_id: randomBytes(6).toString('hex'),
    'http.request.method': method,
    'http.route': route,
    'url.path': path,
    'user_agent.original': USER_AGENTS[randomInt(USER_AGENTS.length)],
  };

  const failure = randomInt(25) === 0 ? FAILURES[randomInt(FAILURES.length)] : undefined;
  const durationMs = failure ? randomInt(800, 3200) : randomInt(3, randomInt(10) === 0 ? 1500 : 120);
  const status = failure ? failure.status : method === 'POST' ? 201 : 200;
  // duration_ms and memory_bytes are what the collector derives its histogram and gauge from.
  const done = { ...request, 'http.response.status_code': status, duration_ms: durationMs, memory_bytes: process.memoryUsage().rss };

  if (failure) {
    const err = new Error(failure.message);
    err.name = failure.error;
    logger.error({ ...done, err }, `${method} ${path} failed: ${failure.message}`);
  } else if (durationMs > 1000) {
    logger.warn(done, `${method} ${path} ${status} slow request took ${durationMs} ms`);
  } else {
    logger.info(done, `${method} ${path} ${status} ${durationMs} ms`);
  }
  if (route === '/api/checkout' && !failure) {
    logger.info({ ...request, order_id: `ord-${randomBytes(4).toString('hex')}`, amount_eur: randomInt(500, 25000) / 100 }, 'order placed');
  }
  span.setAttribute('http.response.status_code', status);
  if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  span.end();
}

async function main() {
  const count = parseCount(process.argv.slice(2));
  const insecure = process.env.SLUICE_INSECURE === 'true';
  const serviceName = process.env.DEMO_SERVICE_NAME || 'checkout';
  const tracing = startTracing(serviceName);
  const bridge = await startLogBridge({
    serviceName,
    serviceVersion: '1.4.2',
    environment: 'demo',
    endpoint: process.env.SLUICE_ENDPOINT || 'http://127.0.0.1:4317',
    token: process.env.SLUICE_TOKEN || undefined,
    // Left undefined unless asked, so the SDK's own rules apply (an http:// endpoint is plaintext).
    insecure: insecure || undefined,
    allowInsecureToken: insecure || undefined,
    // This app flushes and exits on its own terms (below), after its last request.
    handleSignals: false,
  });
  const logger = pino({ level: 'debug' }, bridge.pinoStream());
  const sessions = new Sessions(logger);
  const intervalMs = Number(process.env.DEMO_INTERVAL_MS) || 250;

  let sent = 0;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    logger.info({ requests: sent }, 'shutting down');
    // Spans that cannot reach Tempo at exit are reported, not fatal: the logs were flushed.
    const tracesFlushed = tracing.provider.shutdown().catch((error) => {
      process.stderr.write(`demo: could not flush the last spans: ${error.message}\n`);
    });
    await Promise.all([bridge.shutdown(), tracesFlushed]);
    process.stderr.write(`demo: ${sent} requests logged, bridge shut down\n`);
    process.exit(0);
  };

  logger.info({ interval_ms: intervalMs }, 'demo service started');
  const timer = setInterval(
    () => {
      if (stopping) return;
      handleRequest(logger, sessions, tracing.tracer);
      sent += 1;
      if (count !== undefined && sent >= count) void stop();
    },
    count !== undefined ? 1 : intervalMs,
  );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`demo: ${error.stack || error}\n`);
  process.exit(1);
});
