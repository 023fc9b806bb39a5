import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { context } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import pino from 'pino';
import winston from 'winston';
import { capturingBridge, exactly, spanContext, SPAN_ID, TRACE_ID } from './helpers/capture';
import { installContextManager } from './helpers/context-manager';

describe('adapters (in-memory exporter)', () => {
  before(installContextManager);

  it('pino stream: level, message, fields, time, custom level label, active span', async () => {
    const { bridge, records } = capturingBridge();
    const log = pino({ customLevels: { notice: 35 } }, bridge.pinoStream());
    context.with(spanContext(), () => log.info({ user: { id: 7, roles: ['a'] } }, 'hello pino'));
    log.notice('custom');
    log.error(new Error('boom'), 'failed');
    const [hello, custom, failed] = exactly(await records(), 3);
    assert.equal(hello.body, 'hello pino');
    assert.equal(hello.severityNumber, SeverityNumber.INFO);
    assert.equal(hello.severityText, 'info');
    assert.deepEqual(hello.attributes, { user: { id: 7, roles: ['a'] } });
    assert.equal(hello.spanContext?.traceId, TRACE_ID);
    assert.equal(hello.spanContext?.spanId, SPAN_ID);
    assert.ok(Math.abs(hello.hrTime[0] - Date.now() / 1000) < 60, 'record time comes from pino');
    assert.deepEqual([custom.severityNumber, custom.severityText], [SeverityNumber.INFO3, 'notice']);
    assert.equal(failed.severityNumber, SeverityNumber.ERROR);
    assert.equal(failed.attributes['exception.message'], 'boom');
    assert.equal(failed.attributes['exception.type'], 'Error');
    assert.match(failed.attributes['exception.stacktrace'] as string, /boom/);
    assert.equal(failed.resource.attributes['service.name'], 'unit');
    await bridge.shutdown();
  });

  it('pino stream builds records from the logged object, never parsing the line, with bindings and serializers', async () => {
    const { bridge, records } = capturingBridge();
    const log = pino({ messageKey: 'message', serializers: { user: (user: { id: number }) => ({ id: user.id }) } }, bridge.pinoStream());
    const child = log.child({ request: 'r-1' });
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = (...args: Parameters<typeof JSON.parse>) => (parsed++, parse(...args) as unknown);
    try {
      child.info({ user: { id: 7, password: 'hunter2' }, when: new Date(0) }, 'hello %s', 'object');
      child.error(new Error('boom'));
    } finally {
      JSON.parse = parse;
    }
    assert.equal(parsed, 1, 'only the child bindings are parsed, once');
    const [hello, failed] = exactly(await records(), 2);
    assert.equal(hello.body, 'hello object');
    assert.deepEqual(hello.attributes, { request: 'r-1', user: { id: 7 }, when: '1970-01-01T00:00:00.000Z' });
    assert.equal(failed.body, 'boom');
    assert.equal(failed.attributes['exception.message'], 'boom');
    await bridge.shutdown();
  });

  it('pino stream: loggers that shape their lines (redact, nestedKey, formatters.log) are read from the line', async () => {
    const { bridge, records } = capturingBridge();
    pino({ redact: ['user.password'] }, bridge.pinoStream()).info({ user: { id: 7, password: 'hunter2' } }, 'redacted');
    pino({ nestedKey: 'payload' }, bridge.pinoStream()).info({ a: 1 }, 'nested');
    pino({ formatters: { log: (fields) => ({ ...fields, shaped: true }) } }, bridge.pinoStream()).info('formatted');
    const [redacted, nested, formatted] = exactly(await records(), 3);
    assert.deepEqual(redacted.attributes, { user: { id: 7, password: '[Redacted]' } });
    assert.deepEqual(nested.attributes, { payload: { a: 1 } });
    assert.deepEqual(formatted.attributes, { shaped: true });
    await bridge.shutdown();
  });

  it('pino stream: what a message serializer or a streamWrite hook scrubs from the line never reaches the record', async () => {
    const { bridge, records } = capturingBridge();
    const scrub = (text: string) => text.replace(/hunter2/g, '[scrubbed]');
    pino({ serializers: { msg: (msg: string) => scrub(msg) } }, bridge.pinoStream()).info('password hunter2');
    pino({ hooks: { streamWrite: scrub } }, bridge.pinoStream()).info({ password: 'hunter2' }, 'hooked');
    const [serialized, hooked] = exactly(await records(), 2);
    assert.equal(serialized.body, 'password [scrubbed]');
    assert.deepEqual(hooked.attributes, { password: '[scrubbed]' });
    await bridge.shutdown();
  });

  it('pino mixin puts the active span ids on the line, and they are lifted back', async () => {
    const { bridge, records } = capturingBridge();
    const lines: string[] = [];
    const tee = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = pino({ mixin: bridge.pinoMixin() }, pino.multistream([{ stream: tee }, { stream: bridge.pinoStream() }]));
    context.with(spanContext(), () => log.info('traced'));
    const [record] = exactly(await records(), 1);
    assert.equal((JSON.parse(lines[0]!) as { trace_id: unknown }).trace_id, TRACE_ID);
    assert.equal(record.spanContext?.traceId, TRACE_ID);
    assert.equal(record.spanContext?.spanId, SPAN_ID);
    assert.equal('trace_id' in record.attributes, false);
    await bridge.shutdown();
  });

  it('winston transport: npm levels, meta, timestamp, errors, trace ids logged by the app', async () => {
    const { bridge, records } = capturingBridge();
    const log = winston.createLogger({
      level: 'silly',
      format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp()),
      transports: [bridge.winstonTransport()],
    });
    log.verbose('hello winston', { order: { id: 'o-1' }, traceId: TRACE_ID, spanId: SPAN_ID });
    log.error(new RangeError('out of range'));
    await new Promise((resolve) => setImmediate(resolve));
    const [hello, failed] = exactly(await records(), 2);
    assert.equal(hello.body, 'hello winston');
    assert.deepEqual([hello.severityNumber, hello.severityText], [SeverityNumber.DEBUG2, 'verbose']);
    assert.deepEqual(hello.attributes, { order: { id: 'o-1' } });
    assert.equal(hello.spanContext?.traceId, TRACE_ID);
    assert.equal(failed.severityNumber, SeverityNumber.ERROR);
    assert.equal(failed.body, 'out of range');
    assert.equal(failed.attributes['exception.type'], 'RangeError');
    assert.match(failed.attributes['exception.stacktrace'] as string, /out of range/);
    await bridge.shutdown();
  });

  it("winston transport: emits 'logged', and honours its own level and format", async () => {
    const { bridge, records } = capturingBridge();
    const addService = winston.format((info) => ({ ...info, service: 'api' }));
    const dropSecrets = winston.format((info) => (info.secret ? false : info));
    const transport = bridge.winstonTransport({ level: 'warn', format: winston.format.combine(dropSecrets(), addService()) });
    const log = winston.createLogger({ level: 'debug', transports: [transport] });
    const logged: unknown[] = [];
    transport.on('logged', (info: { message: unknown }) => logged.push(info.message));
    log.info('below the transport level');
    log.warn('kept');
    log.error('filtered by the format', { secret: true });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const [kept] = exactly(await records(), 1);
    assert.equal(kept.body, 'kept');
    assert.equal(kept.attributes.service, 'api', 'the transport format ran');
    assert.deepEqual(logged, ['kept']);
    await bridge.shutdown();
  });

  it('console: still prints, sends each method with its severity, and restores', async () => {
    const { bridge, records } = capturingBridge();
    const original = console.warn;
    const printed: unknown[][] = [];
    console.warn = (...args: unknown[]) => void printed.push(args);
    const fake = console.warn;
    const restore = bridge.patchConsole();
    try {
      console.warn('disk at %d%%', 91);
    } finally {
      restore();
    }
    assert.equal(console.warn, fake, 'restore puts the previous function back');
    console.warn('not captured');
    console.warn = original;
    const [got] = exactly(await records(), 1);
    assert.deepEqual(printed[0], ['disk at %d%%', 91]);
    assert.equal(got.body, 'disk at 91%');
    assert.deepEqual([got.severityNumber, got.severityText], [SeverityNumber.WARN, 'warn']);
    await bridge.shutdown();
  });

  it('OTel Logs API logger goes through the same pipeline and counters', async () => {
    const { bridge, records } = capturingBridge();
    bridge.logger('my-lib', '2.0.0').emit({ body: 'direct', severityNumber: SeverityNumber.WARN, attributes: { k: 'v' } });
    const [record] = exactly(await records(), 1);
    assert.equal(record.body, 'direct');
    assert.equal(record.instrumentationScope.name, 'my-lib');
    assert.deepEqual(bridge.stats(), { emitted: 1, exported: 1, dropped: 0, failed: 0, queued: 0 });
    await bridge.shutdown();
  });

  it('a line the adapter cannot parse warns instead of throwing into the app', async () => {
    const { bridge, warnings } = capturingBridge();
    assert.equal(bridge.pinoStream().write('{not json'), true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /could not be converted/);
    await bridge.shutdown();
  });

  it('shutdown is idempotent, and logging after it is harmless', async () => {
    const { bridge } = capturingBridge();
    const log = pino({}, bridge.pinoStream());
    log.info('before');
    await Promise.all([bridge.shutdown(), bridge.shutdown()]);
    await bridge.shutdown();
    log.info('after');
    assert.deepEqual(bridge.stats(), { emitted: 1, exported: 1, dropped: 0, failed: 0, queued: 0 });
  });
});
