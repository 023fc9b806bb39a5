import assert from 'node:assert/strict';
import { emptyScope, newLogRecord, type LogsData } from '@sluice/pdata';
import { attributesProcessorFactory } from '../src/index';
import { CapturingConsumer, configOf, issuesOf, logsOf, settingsFor } from './helpers';

/** Five records that differ in one property each; the matcher picks some of them. */
function sample(): LogsData {
  const record = (name: string, fields: Parameters<typeof newLogRecord>[0]) =>
    newLogRecord({ ...fields, attributes: [{ key: 'name', value: name }, ...(fields?.attributes ?? [])] });
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'checkout' }], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: { ...emptyScope(), name: 'pino', version: '10.0.0' },
            logRecords: [
              record('debug', { severityNumber: 5, severityText: 'DEBUG', body: 'cache miss' }),
              record('info', {
                severityNumber: 9,
                severityText: 'INFO',
                body: 'order placed',
                attributes: [{ key: 'http.status', value: 200n }],
              }),
              record('error', {
                severityNumber: 17,
                severityText: 'ERROR',
                body: 'payment failed',
                attributes: [{ key: 'http.status', value: 502n }],
              }),
              record('unset', { body: 'no severity' }),
            ],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
      {
        resource: { attributes: [{ key: 'service.name', value: 'billing' }], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            scope: emptyScope(),
            logRecords: [record('billing', { severityNumber: 13, severityText: 'WARN', body: 'slow' })],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

const MARK = { key: 'marked', value: true, action: 'insert' };

const cases: Array<{ name: string; match: Record<string, unknown>; marked: string[] }> = [
  {
    name: 'include strict attribute value (typed int)',
    match: { include: { match_type: 'strict', attributes: [{ key: 'http.status', value: 502 }] } },
    marked: ['error'],
  },
  {
    name: 'include attribute key presence',
    match: { include: { match_type: 'strict', attributes: [{ key: 'http.status' }] } },
    marked: ['info', 'error'],
  },
  {
    name: 'include regexp attribute',
    match: { include: { match_type: 'regexp', attributes: [{ key: 'http.status', value: '^5' }] } },
    marked: ['error'],
  },
  {
    name: 'include resources',
    match: { include: { match_type: 'strict', resources: [{ key: 'service.name', value: 'billing' }] } },
    marked: ['billing'],
  },
  {
    name: 'include libraries',
    match: { include: { match_type: 'regexp', libraries: [{ name: '^pi', version: '^10\\.' }] } },
    marked: ['debug', 'info', 'error', 'unset'],
  },
  {
    name: 'include log_bodies regexp',
    match: { include: { match_type: 'regexp', log_bodies: ['fail', '^slow$'] } },
    marked: ['error', 'billing'],
  },
  {
    name: 'include log_severity_texts strict',
    match: { include: { match_type: 'strict', log_severity_texts: ['DEBUG', 'WARN'] } },
    marked: ['debug', 'billing'],
  },
  {
    name: 'include severity number min',
    match: { include: { match_type: 'strict', log_severity_number: { min: 'WARN' } } },
    marked: ['error', 'billing'],
  },
  {
    name: 'include severity min with match_undefined',
    match: { include: { match_type: 'strict', log_severity_number: { min: 13, match_undefined: true } } },
    marked: ['error', 'unset', 'billing'],
  },
  {
    name: 'exclude strict body',
    match: { exclude: { match_type: 'strict', log_bodies: ['cache miss'] } },
    marked: ['info', 'error', 'unset', 'billing'],
  },
  {
    name: 'include and exclude together; criteria are ANDed',
    match: {
      include: { match_type: 'strict', resources: [{ key: 'service.name', value: 'checkout' }], log_severity_number: { min: 'info' } },
      exclude: { match_type: 'regexp', log_bodies: ['payment'] },
    },
    marked: ['info'],
  },
];

describe('attributes processor include/exclude', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const next = new CapturingConsumer();
      const config = configOf(attributesProcessorFactory, { actions: [MARK], ...c.match });
      await attributesProcessorFactory.create(settingsFor('attributes'), config, next).consume(sample(), {});
      const marked = next
        .records()
        .filter((r) => r.attributes.some((kv) => kv.key === 'marked'))
        .map((r) => r.attributes[0]!.value);
      assert.deepEqual(marked, c.marked);
    });
  }

  const bad: Array<{ name: string; config: Record<string, unknown>; path: string }> = [
    {
      name: 'bad attribute regex',
      config: { include: { match_type: 'regexp', attributes: [{ key: 'a', value: '(' }] } },
      path: 'include.attributes.0.value',
    },
    {
      name: 'non-string regexp value',
      config: { exclude: { match_type: 'regexp', resources: [{ key: 'a', value: 1 }] } },
      path: 'exclude.resources.0.value',
    },
    { name: 'bad body regex', config: { include: { match_type: 'regexp', log_bodies: ['ok', '[z-a]'] } }, path: 'include.log_bodies.1' },
    {
      name: 'a backreference (RE2 has none)',
      config: { include: { match_type: 'regexp', attributes: [{ key: 'a', value: '(x)\\1' }] } },
      path: 'include.attributes.0.value',
    },
    {
      name: 'bad library regex',
      config: { include: { match_type: 'regexp', libraries: [{ name: '+' }] } },
      path: 'include.libraries.0.name',
    },
    {
      name: 'unknown severity name',
      config: { include: { match_type: 'strict', log_severity_number: { min: 'LOUD' } } },
      path: 'include.log_severity_number.min',
    },
    { name: 'missing match_type', config: { include: { log_bodies: ['x'] } }, path: 'include.match_type' },
    { name: 'no criteria', config: { include: { match_type: 'strict' } }, path: 'include' },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} at ${c.path}`, () => {
      const issues = issuesOf(attributesProcessorFactory, { actions: [MARK], ...c.config });
      assert.ok(
        issues.some((i) => i.startsWith(`${c.path}: `)),
        JSON.stringify(issues),
      );
    });
  }

  it('says a refused regex is one RE2 does not support', () => {
    const issues = issuesOf(attributesProcessorFactory, {
      actions: [MARK],
      exclude: { match_type: 'regexp', log_bodies: ['^(?!health)'] },
    });
    assert.deepEqual(issues, [
      'exclude.log_bodies.0: "^(?!health)" uses lookahead or lookbehind, which RE2 (the regex engine of otelcol and Sluice) does not support (invalid perl operator: (?!)',
    ]);
  });

  it('matches RE2 syntax: inline flags and Unicode classes', async () => {
    const next = new CapturingConsumer();
    const config = configOf(attributesProcessorFactory, {
      actions: [MARK],
      include: { match_type: 'regexp', log_bodies: ['(?i)^PAYMENT \\pL+$'] },
    });
    await attributesProcessorFactory.create(settingsFor('attributes'), config, next).consume(sample(), {});
    assert.deepEqual(
      next
        .records()
        .filter((r) => r.attributes.some((kv) => kv.key === 'marked'))
        .map((r) => r.body),
      ['payment failed'],
    );
  });

  // A backtracking engine takes time exponential in the run of x's to find that `(x+x+)+y` does
  // not match; RE2 takes linear time, so this finishing within mocha's timeout is the evidence.
  it('matches in linear time on values built to make a backtracking engine hang', async () => {
    const next = new CapturingConsumer();
    const config = configOf(attributesProcessorFactory, {
      actions: [MARK],
      include: { match_type: 'regexp', log_bodies: ['(a+)+$'], attributes: [{ key: 'name', value: '(x+x+)+y' }] },
    });
    const records = [
      { body: 'a'.repeat(50_000) + 'b', attributes: [{ key: 'name', value: 'x'.repeat(50_000) + 'y' }] },
      { body: 'a'.repeat(50_000), attributes: [{ key: 'name', value: 'x'.repeat(50_000) }] },
      { body: 'a'.repeat(50_000), attributes: [{ key: 'name', value: 'x'.repeat(50_000) + 'y' }] },
    ];
    await attributesProcessorFactory.create(settingsFor('attributes'), config, next).consume(logsOf(records), {});
    assert.deepEqual(
      next.records().map((r) => r.attributes.some((kv) => kv.key === 'marked')),
      [false, false, true],
    );
  });

  it('declares the span/metric-only otelcol keys as errors and the regexp cache key as ignored', () => {
    const unsupported = attributesProcessorFactory.unsupportedKeys!;
    assert.equal(unsupported['include.services']?.effect, 'error');
    assert.equal(unsupported['exclude.regexp']?.effect, 'ignore');
  });
});
