import assert from 'node:assert/strict';
import { emptyScope, newLogRecord, type LogsData } from '@sluice/pdata';
import { compileCondition, filterProcessorFactory, OttlError } from '../src/index';
import { CapturingConsumer, configOf, issuesOf, logsOf, metricValue, settingsFor } from './helpers';

const record = newLogRecord({
  severityNumber: 9,
  severityText: 'INFO',
  body: 'GET /health 200',
  attributes: [
    { key: 'http.status', value: 200n },
    { key: 'ratio', value: 0.25 },
    { key: 'ok', value: true },
    { key: 'user', value: { kvlist: [{ key: 'id', value: 'u-1' }] } },
  ],
  traceId: '0af7651916cd43dd8448eb211c80319c',
});
const resource = { attributes: [{ key: 'service.name', value: 'api' }], droppedAttributesCount: 0 };
const scope = { ...emptyScope(), name: 'pino' };

const conditions: Array<[string, boolean]> = [
  ['severity_number < SEVERITY_NUMBER_WARN', true],
  ['severity_number >= SEVERITY_NUMBER_WARN', false],
  ['severity_number == SEVERITY_NUMBER_INFO', true],
  ['severity_number == 9.0', true],
  ['severity_text == "INFO"', true],
  ['severity_text != "INFO"', false],
  ['body == "GET /health 200"', true],
  ['log.body == "GET /health 200"', true],
  ['attributes["http.status"] == 200', true],
  ['attributes["http.status"] >= 500', false],
  ['attributes["ratio"] < 1', true],
  ['attributes["ok"] == true', true],
  ['attributes["ok"] > false', false],
  ['attributes["user"]["id"] == "u-1"', true],
  ['attributes["missing"] == nil', true],
  ['attributes["missing"] != nil', false],
  ['attributes["missing"] < 1', false],
  ['attributes["http.status"] == "200"', false],
  ['attributes["http.status"] != "200"', true],
  ['resource.attributes["service.name"] == "api"', true],
  ['instrumentation_scope.name == "pino"', true],
  ['trace_id.string == "0af7651916cd43dd8448eb211c80319c"', true],
  ['IsMatch(body, "^GET /health")', true],
  ['IsMatch(attributes["http.status"], "^2\\\\d\\\\d$")', true],
  ['IsMatch(attributes["missing"], ".*")', false],
  ['IsMatch(body, "health") == false', false],
  // RE2 syntax as otelcol configs spell it: inline flags, POSIX and Unicode classes.
  ['IsMatch(body, "(?i)^get /HEALTH")', true],
  ['IsMatch(severity_text, "^[[:upper:]]+$")', true],
  ['IsMatch(body, "^\\\\pL+ ")', true],
  ['not IsMatch(body, "health")', false],
  ['true', true],
  ['false or severity_text == "INFO"', true],
  ['severity_text == "INFO" and body == "x"', false],
  // and binds tighter than or
  ['body == "x" and false or true', true],
  ['body == "x" and (false or true)', false],
  ['not severity_text == "DEBUG" and not body == "x"', true],
  ['not (severity_text == "INFO" or body == "x")', false],
  ['attributes["http.status"] > -1', true],
  ['severity_text < "J"', true],
];

const unsupported: Array<[string, RegExp, number]> = [
  ['Substring(body, 0, 3) == "GET"', /function "Substring" is not supported/, 0],
  ['severity_number + 1 > 5', /arithmetic/, 16],
  ['time_unix_nano > 0', /path "time_unix_nano" is not supported/, 0],
  ['attributes == nil', /path "attributes" is not supported/, 0],
  ['SEVERITY_NUMBER_LOUD == 1', /unknown enum/, 0],
  ['body == 0x00', /byte literals/, 8],
  ['body', /expected a comparison/, 4],
  ['body == "x" xor true', /unexpected "xor"/, 12],
  ['IsMatch(body, "(")', /not a valid RE2 regular expression/, 14],
  ['IsMatch(body, "(\\\\d)\\\\1")', /backreferences, which RE2 .* does not support/, 14],
  ['IsMatch(body, "(?<=GET )/health")', /lookahead or lookbehind, which RE2 .* does not support/, 14],
  ['IsMatch(body, attributes["p"])', /string literal pattern/, 14],
  ['body == "unterminated', /unterminated string/, 8],
  ['(body == "x"', /expected "\)"/, 12],
];

describe('filter processor', () => {
  describe('OTTL conditions', () => {
    for (const [condition, expected] of conditions) {
      it(`${condition} → ${expected}`, () => {
        assert.equal(compileCondition(condition)(record, resource, scope), expected);
      });
    }
    for (const [condition, message, offset] of unsupported) {
      it(`refuses ${condition}`, () => {
        assert.throws(
          () => compileCondition(condition),
          (err) => err instanceof OttlError && message.test(err.message) && err.offset === offset,
        );
      });
    }
  });

  function twoResources(): LogsData {
    return {
      resourceLogs: [
        ...logsOf(
          [
            { severityText: 'DEBUG', body: 'a' },
            { severityText: 'INFO', body: 'b' },
            { severityText: 'DEBUG', body: 'c' },
          ],
          [{ key: 'r', value: 1n }],
        ).resourceLogs,
        ...logsOf([{ severityText: 'DEBUG', body: 'd' }], [{ key: 'r', value: 2n }]).resourceLogs,
      ],
    };
  }

  it('drops matching records, removes emptied resources and counts the drops', async () => {
    const settings = settingsFor('filter/debug');
    const next = new CapturingConsumer();
    const processor = filterProcessorFactory.create(
      settings,
      configOf(filterProcessorFactory, { logs: { log_record: ['severity_text == "DEBUG"', 'body == "zzz"'] } }),
      next,
    );
    await processor.consume(twoResources(), {});
    assert.deepEqual(
      next.records().map((r) => r.body),
      ['b'],
    );
    assert.equal(next.received[0]!.logs.resourceLogs.length, 1);
    assert.equal(await metricValue(settings.telemetry, 'otelcol_processor_filter_logs_filtered_total', { filter: 'filter/debug' }), 3);
  });

  it('acknowledges without calling next when everything is dropped', async () => {
    const next = new CapturingConsumer();
    const processor = filterProcessorFactory.create(
      settingsFor('filter'),
      configOf(filterProcessorFactory, { logs: { log_record: ['true'] } }),
      next,
    );
    await processor.consume(twoResources(), {});
    assert.equal(next.received.length, 0);
  });

  it('passes everything with no conditions, and defaults error_mode to propagate', async () => {
    const config = configOf(filterProcessorFactory, null);
    assert.equal(config.error_mode, 'propagate');
    const next = new CapturingConsumer();
    await filterProcessorFactory.create(settingsFor('filter'), config, next).consume(twoResources(), {});
    assert.equal(next.records().length, 4);
  });

  it('refuses a bad condition at logs.log_record[i], naming the part and offset', () => {
    const issues = issuesOf(filterProcessorFactory, { logs: { log_record: ['body == "x"', 'Concat(body) == "x"'] } });
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^logs\.log_record\.1: .*function "Concat" is not supported.*offset 0/);
  });

  it('refuses a backreference at logs.log_record[i], saying RE2 does not support it', () => {
    const issues = issuesOf(filterProcessorFactory, { logs: { log_record: ['IsMatch(body, "(a)\\\\1")'] } });
    assert.equal(issues.length, 1);
    assert.match(issues[0] ?? '', /^logs\.log_record\.0: .*backreferences, which RE2 .* does not support.*offset 14/);
  });

  // A backtracking engine takes time exponential in the run of a's to find that `(a+)+$` does not
  // match; RE2 takes linear time, so this finishing within mocha's timeout is the evidence.
  it('IsMatch runs in linear time on a line built to make a backtracking engine hang', async () => {
    const next = new CapturingConsumer();
    const config = configOf(filterProcessorFactory, { logs: { log_record: ['IsMatch(body, "(a+)+$")'] } });
    const hostile = 'a'.repeat(50_000) + 'b';
    await filterProcessorFactory
      .create(settingsFor('filter'), config, next)
      .consume(logsOf([{ body: hostile }, { body: 'a'.repeat(50_000) }]), {});
    assert.deepEqual(
      next.records().map((r) => r.body),
      [hostile],
    );
  });

  it('refuses an unknown error_mode', () => {
    assert.ok(issuesOf(filterProcessorFactory, { error_mode: 'loud' }).some((i) => i.startsWith('error_mode: ')));
  });

  it('declares legacy include/exclude as an error, other signals as ignored', () => {
    assert.equal(filterProcessorFactory.unsupportedKeys!['logs.include']?.effect, 'error');
    assert.equal(filterProcessorFactory.unsupportedKeys!['traces']?.effect, 'ignore');
  });
});
