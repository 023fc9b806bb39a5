import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { mapFields, millisToHrTime, timeField } from '../src/fields';
import { namedSeverity, pinoSeverity } from '@sluice/pdata';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const none = new Set<string>();

describe('field mapping', () => {
  for (const [traceKey, spanKey] of <Array<[string, string]>>[
    ['trace_id', 'span_id'],
    ['traceId', 'spanId'],
    ['trace-id', 'span-id'],
    ['trace.id', 'span.id'],
    ['TraceID', 'SpanID'],
  ]) {
    it(`lifts ${traceKey} / ${spanKey} onto the record and out of the attributes`, () => {
      const mapped = mapFields({ [traceKey]: TRACE.toUpperCase(), [spanKey]: SPAN, user: 'ann' }, none);
      const spanContext = trace.getSpanContext(mapped.context!);
      assert.equal(spanContext?.traceId, TRACE);
      assert.equal(spanContext?.spanId, SPAN);
      assert.deepEqual(mapped.attributes, { user: 'ann' });
    });
  }

  it('keeps ids that are not valid hex as plain attributes', () => {
    const mapped = mapFields({ trace_id: 'not-a-trace', span_id: SPAN }, none);
    assert.equal(mapped.context, undefined);
    assert.deepEqual(mapped.attributes, { trace_id: 'not-a-trace', span_id: SPAN });
    assert.equal(mapFields({ trace_id: '0'.repeat(32), span_id: SPAN }, none).context, undefined);
  });

  it('keeps nested objects as maps, cuts cycles, and turns errors into exception.*', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const error = new TypeError('bad input');
    const mapped = mapFields(
      { http: { method: 'GET', status: 200, tags: ['a', 1] }, big: 12n, when: new Date(0), cyclic, err: error, skip: 1 },
      new Set(['skip']),
    );
    assert.deepEqual(mapped.attributes.http, { method: 'GET', status: 200, tags: ['a', 1] });
    assert.equal(mapped.attributes.big, '12');
    assert.equal(mapped.attributes.when, '1970-01-01T00:00:00.000Z');
    assert.deepEqual(mapped.attributes.cyclic, { name: 'loop', self: '[Circular]' });
    assert.equal(mapped.attributes['exception.type'], 'TypeError');
    assert.equal(mapped.attributes['exception.message'], 'bad input');
    assert.equal(mapped.attributes['exception.stacktrace'], error.stack);
    assert.equal('err' in mapped.attributes, false);
    assert.equal('skip' in mapped.attributes, false);
  });

  it("maps pino's serialized err the same way", () => {
    const mapped = mapFields({ err: { type: 'RangeError', message: 'too far', stack: 'RangeError: too far\n at x' } }, none);
    assert.deepEqual(mapped.attributes, {
      'exception.type': 'RangeError',
      'exception.message': 'too far',
      'exception.stacktrace': 'RangeError: too far\n at x',
    });
  });

  it('converts epoch milliseconds and ISO strings to HrTime exactly', () => {
    assert.deepEqual(millisToHrTime(1_700_000_000_123), [1_700_000_000, 123_000_000]);
    assert.deepEqual(timeField('2024-01-02T03:04:05.678Z'), [1704164645, 678_000_000]);
    assert.equal(timeField('yesterday'), undefined);
  });
});

describe('severity mapping', () => {
  it('maps the six pino levels to the OTel base severities', () => {
    const mapped = [10, 20, 30, 40, 50, 60].map((level) => pinoSeverity(level));
    assert.deepEqual(
      mapped.map((s) => s.number),
      [SeverityNumber.TRACE, SeverityNumber.DEBUG, SeverityNumber.INFO, SeverityNumber.WARN, SeverityNumber.ERROR, SeverityNumber.FATAL],
    );
    assert.deepEqual(
      mapped.map((s) => s.text),
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
    );
  });

  it('places custom pino levels on the step of their band and keeps their label', () => {
    assert.deepEqual(pinoSeverity(35, 'notice'), { number: SeverityNumber.INFO3, text: 'notice' });
    assert.equal(pinoSeverity(35).text, 'INFO3');
    assert.equal(pinoSeverity(99).number, SeverityNumber.FATAL4);
  });

  it('maps winston npm and syslog names and the console methods', () => {
    assert.equal(namedSeverity('silly').number, SeverityNumber.TRACE);
    assert.equal(namedSeverity('verbose').number, SeverityNumber.DEBUG2);
    assert.equal(namedSeverity('http').number, SeverityNumber.DEBUG4);
    assert.equal(namedSeverity('notice').number, SeverityNumber.INFO2);
    assert.equal(namedSeverity('warning').number, SeverityNumber.WARN);
    assert.equal(namedSeverity('crit').number, SeverityNumber.ERROR2);
    assert.equal(namedSeverity('alert').number, SeverityNumber.ERROR3);
    assert.equal(namedSeverity('emerg').number, SeverityNumber.FATAL);
    assert.deepEqual(namedSeverity('mystery'), { number: SeverityNumber.UNSPECIFIED, text: 'mystery' });
  });
});
