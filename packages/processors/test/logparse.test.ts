import assert from 'node:assert/strict';
import { getAttribute, newLogRecord, type LogRecord } from '@sluice/pdata';
import { logparseProcessorFactory } from '../src/index';
import { CapturingConsumer, configOf, issuesOf, logsOf, metricValue, settingsFor } from './helpers';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

async function parse(body: unknown, config: Record<string, unknown> = {}, record: Partial<LogRecord> = {}) {
  const settings = settingsFor('logparse');
  const next = new CapturingConsumer();
  const processor = logparseProcessorFactory.create(settings, configOf(logparseProcessorFactory, config), next);
  await processor.consume(logsOf([{ ...record, body: body as LogRecord['body'] }]), {});
  const unparsed = (await metricValue(settings.telemetry, 'sluice_processor_logparse_unparsed_total', { processor: 'logparse' })) ?? 0;
  return { record: next.records()[0]!, unparsed };
}

const attr = (record: LogRecord, key: string) => getAttribute(record.attributes, key);

interface Case {
  name: string;
  body: unknown;
  config?: Record<string, unknown>;
  expect: Partial<Pick<LogRecord, 'timeUnixNano' | 'severityNumber' | 'severityText' | 'body' | 'traceId' | 'spanId'>>;
  attributes?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: 'pino JSON line',
    body: JSON.stringify({
      level: 30,
      time: 1700000000123,
      pid: 7,
      hostname: 'h',
      msg: 'listening',
      trace_id: TRACE,
      span_id: SPAN,
      req: { id: 1, ok: true },
    }),
    expect: {
      severityNumber: 9,
      severityText: 'info',
      timeUnixNano: 1700000000123000000n,
      body: 'listening',
      traceId: TRACE,
      spanId: SPAN,
    },
    attributes: {
      pid: 7n,
      hostname: 'h',
      req: {
        kvlist: [
          { key: 'id', value: 1n },
          { key: 'ok', value: true },
        ],
      },
    },
  },
  { name: 'pino level 50 → ERROR', body: '{"level":50,"msg":"x"}', expect: { severityNumber: 17, severityText: 'error' } },
  { name: 'pino level 60 → FATAL', body: '{"level":60,"msg":"x"}', expect: { severityNumber: 21, severityText: 'fatal' } },
  { name: 'level "warn"', body: '{"level":"warn","message":"m"}', expect: { severityNumber: 13, severityText: 'warn', body: 'm' } },
  { name: 'level "err"', body: 'level=err msg=m', expect: { severityNumber: 17, severityText: 'err' } },
  { name: 'level "I" (glog)', body: 'severity=I msg=m', expect: { severityNumber: 9, severityText: 'I' } },
  { name: 'level "W"', body: 'lvl=W msg=m', expect: { severityNumber: 13, severityText: 'W' } },
  { name: 'level "E"', body: 'lvl=E msg=m', expect: { severityNumber: 17 } },
  {
    name: 'unknown level stays an attribute',
    body: '{"level":"chatty","msg":"m"}',
    expect: { severityNumber: 0 },
    attributes: { level: 'chatty' },
  },
  {
    name: 'RFC 3339 with nanoseconds and offset',
    body: '{"time":"2024-05-01T12:00:00.123456789+02:00","msg":"m"}',
    expect: { timeUnixNano: 1714557600123456789n },
  },
  { name: '@timestamp Z', body: '{"@timestamp":"2024-05-01T10:00:00Z","msg":"m"}', expect: { timeUnixNano: 1714557600000000000n } },
  { name: 'epoch seconds (float)', body: '{"ts":1714557600.5,"msg":"m"}', expect: { timeUnixNano: 1714557600500000000n } },
  {
    name: 'epoch nanoseconds string in logfmt (exact)',
    body: 'ts=1714557600123456789 msg=m',
    expect: { timeUnixNano: 1714557600123456789n },
  },
  {
    name: 'unparseable time stays an attribute',
    body: '{"time":"yesterday","msg":"m"}',
    expect: { timeUnixNano: 0n },
    attributes: { time: 'yesterday' },
  },
  {
    name: 'traceId camelCase upper hex',
    body: `{"traceId":"${TRACE.toUpperCase()}","spanId":"${SPAN}"}`,
    expect: { traceId: TRACE, spanId: SPAN },
  },
  {
    name: 'bad trace id stays an attribute',
    body: '{"trace_id":"xyz","msg":"m"}',
    expect: { traceId: '' },
    attributes: { trace_id: 'xyz' },
  },
  {
    name: 'all-zero span id stays an attribute',
    body: '{"span_id":"0000000000000000"}',
    expect: { spanId: '' },
    attributes: { span_id: '0000000000000000' },
  },
  {
    name: 'logfmt with quoted values',
    body: 'time=2024-05-01T10:00:00Z level=info msg="user logged in" user=ann note="say \\"hi\\""',
    expect: { severityNumber: 9, body: 'user logged in', timeUnixNano: 1714557600000000000n },
    attributes: { user: 'ann', note: 'say "hi"' },
  },
  {
    name: 'no message key keeps the original body',
    body: '{"level":"info","a":1}',
    expect: { body: '{"level":"info","a":1}', severityNumber: 9 },
    attributes: { a: 1n },
  },
  {
    name: 'key overrides',
    body: '{"lvl2":"error","text":"m","level":"info"}',
    config: { keys: { severity: ['lvl2'], message: ['text'] } },
    expect: { severityNumber: 17, body: 'm' },
    attributes: { level: 'info' },
  },
  {
    name: 'format json ignores logfmt',
    body: 'level=info msg=m',
    config: { format: 'json' },
    expect: { body: 'level=info msg=m', severityNumber: 0 },
  },
  { name: 'format logfmt ignores json', body: '{"msg":"m"}', config: { format: 'logfmt' }, expect: { body: '{"msg":"m"}' } },
];

describe('logparse processor', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { record } = await parse(c.body, c.config);
      for (const [field, value] of Object.entries(c.expect)) assert.deepEqual(record[field as keyof LogRecord], value, field);
      for (const [key, value] of Object.entries(c.attributes ?? {})) assert.deepEqual(attr(record, key), value, key);
    });
  }

  it('keep_original stores the text in log.record.original', async () => {
    const body = '{"msg":"m"}';
    const { record } = await parse(body, { keep_original: true });
    assert.equal(attr(record, 'log.record.original'), body);
    assert.equal(record.body, 'm');
  });

  const unparseable = ['plain text line', 'GET /x status=200', '{"unterminated":', '[1,2]', 'a="open'];
  for (const body of unparseable) {
    it(`passes ${JSON.stringify(body)} unchanged and counts it`, async () => {
      const before = newLogRecord({ body, severityNumber: 5, attributes: [{ key: 'k', value: 'v' }] });
      const { record, unparsed } = await parse(body, {}, { severityNumber: 5, attributes: [{ key: 'k', value: 'v' }] });
      assert.deepEqual(record, before);
      assert.equal(unparsed, 1);
    });
  }

  it('leaves non-string bodies alone without counting them', async () => {
    const body = { kvlist: [{ key: 'msg', value: 'x' }] };
    const { record, unparsed } = await parse(body);
    assert.deepEqual(record.body, body);
    assert.equal(unparsed, 0);
  });

  it('refuses unknown formats and empty key lists at their paths', () => {
    assert.ok(issuesOf(logparseProcessorFactory, { format: 'xml' }).some((i) => i.startsWith('format: ')));
    assert.ok(issuesOf(logparseProcessorFactory, { keys: { message: [] } }).some((i) => i.startsWith('keys.message: ')));
  });

  it('keeps a time that is not a 64-bit nanosecond time out of the record (it stays an attribute)', async () => {
    for (const time of [1e300, '9'.repeat(400) + '.5', '99999999999999999999999', '2999-01-01T00:00:00Z']) {
      const { record } = await parse(JSON.stringify({ time, msg: 'm' }));
      assert.equal(record.timeUnixNano, 0n, `time ${String(time).slice(0, 30)}`);
      assert.equal(record.body, 'm');
    }
  });
});
