import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AnyValue, ClientContext, KeyValue } from '@sluice/pdata';
import { attributesProcessorFactory, resourceProcessorFactory } from '../src/index';
import { CapturingConsumer, configOf, issuesOf, logsOf, settingsFor } from './helpers';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const int64le = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
};
const doublele = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b;
};

const START: KeyValue[] = [
  { key: 'user.email', value: 'ann@example.com' },
  { key: 'count', value: '42' },
  { key: 'ratio', value: '0.5' },
  { key: 'n', value: 7n },
  { key: 'secret.token', value: 'abc' },
  { key: 'secret.key', value: 'def' },
  { key: 'path', value: '/api/v1/users/17' },
];

const CONTEXT: ClientContext = {
  address: '10.1.2.3',
  metadata: { 'x-tenant': ['acme'], 'x-multi': ['a', 'b'] },
  auth: { subject: 'svc-a' },
};

interface Case {
  name: string;
  actions: unknown[];
  expect: (attributes: Map<string, AnyValue>) => void;
}

const cases: Case[] = [
  {
    name: 'insert adds a missing key',
    actions: [{ key: 'env', value: 'prod', action: 'insert' }],
    expect: (a) => assert.equal(a.get('env'), 'prod'),
  },
  {
    name: 'insert keeps an existing key',
    actions: [{ key: 'count', value: 'x', action: 'insert' }],
    expect: (a) => assert.equal(a.get('count'), '42'),
  },
  {
    name: 'update changes an existing key',
    actions: [{ key: 'count', value: 1, action: 'update' }],
    expect: (a) => assert.equal(a.get('count'), 1n),
  },
  {
    name: 'update ignores a missing key',
    actions: [{ key: 'nope', value: 1, action: 'update' }],
    expect: (a) => assert.equal(a.has('nope'), false),
  },
  { name: 'upsert inserts', actions: [{ key: 'env', value: 1.5, action: 'upsert' }], expect: (a) => assert.equal(a.get('env'), 1.5) },
  {
    name: 'upsert updates, typed bool',
    actions: [{ key: 'count', value: true, action: 'upsert' }],
    expect: (a) => assert.equal(a.get('count'), true),
  },
  {
    name: 'from_attribute copies',
    actions: [{ key: 'copy', from_attribute: 'path', action: 'insert' }],
    expect: (a) => assert.equal(a.get('copy'), '/api/v1/users/17'),
  },
  {
    name: 'from_attribute missing does nothing',
    actions: [{ key: 'copy', from_attribute: 'nope', action: 'upsert' }],
    expect: (a) => assert.equal(a.has('copy'), false),
  },
  {
    name: 'from_context client.address',
    actions: [{ key: 'peer', from_context: 'client.address', action: 'upsert' }],
    expect: (a) => assert.equal(a.get('peer'), '10.1.2.3'),
  },
  {
    name: 'from_context metadata (case-insensitive)',
    actions: [{ key: 'tenant', from_context: 'metadata.X-Tenant', action: 'upsert' }],
    expect: (a) => assert.equal(a.get('tenant'), 'acme'),
  },
  {
    name: 'from_context multi-valued metadata → array',
    actions: [{ key: 'm', from_context: 'metadata.x-multi', action: 'upsert' }],
    expect: (a) => assert.deepEqual(a.get('m'), ['a', 'b']),
  },
  {
    name: 'from_context bare name is metadata',
    actions: [{ key: 'tenant', from_context: 'x-tenant', action: 'upsert' }],
    expect: (a) => assert.equal(a.get('tenant'), 'acme'),
  },
  {
    name: 'from_context auth',
    actions: [{ key: 'sub', from_context: 'auth.subject', action: 'upsert' }],
    expect: (a) => assert.equal(a.get('sub'), 'svc-a'),
  },
  {
    name: 'from_context missing does nothing',
    actions: [{ key: 'x', from_context: 'metadata.absent', action: 'upsert' }],
    expect: (a) => assert.equal(a.has('x'), false),
  },
  { name: 'delete by key', actions: [{ key: 'path', action: 'delete' }], expect: (a) => assert.equal(a.has('path'), false) },
  {
    name: 'delete by pattern',
    actions: [{ pattern: '^secret\\.', action: 'delete' }],
    expect: (a) => {
      assert.equal(a.has('secret.token'), false);
      assert.equal(a.has('secret.key'), false);
      assert.equal(a.get('count'), '42');
    },
  },
  {
    name: 'hash a string (SHA-256 hex)',
    actions: [{ key: 'user.email', action: 'hash' }],
    expect: (a) => assert.equal(a.get('user.email'), sha(Buffer.from('ann@example.com'))),
  },
  { name: 'hash an int (8 LE bytes)', actions: [{ key: 'n', action: 'hash' }], expect: (a) => assert.equal(a.get('n'), sha(int64le(7n))) },
  {
    name: 'hash by pattern',
    actions: [{ pattern: '^secret', action: 'hash' }],
    expect: (a) => {
      assert.equal(a.get('secret.token'), sha(Buffer.from('abc')));
      assert.equal(a.get('secret.key'), sha(Buffer.from('def')));
    },
  },
  {
    name: 'extract with Go-style named groups',
    actions: [{ key: 'path', pattern: '^/api/(?P<version>v\\d+)/users/(?P<user_id>\\d+)$', action: 'extract' }],
    expect: (a) => {
      assert.equal(a.get('version'), 'v1');
      assert.equal(a.get('user_id'), '17');
      assert.equal(a.get('path'), '/api/v1/users/17');
    },
  },
  {
    name: 'extract with RE2 syntax: inline flags, POSIX classes, Unicode classes',
    actions: [{ key: 'user.email', pattern: '(?i)^(?P<local>[[:alpha:]]+)@(?P<domain>\\pL+)\\.COM$', action: 'extract' }],
    expect: (a) => {
      assert.equal(a.get('local'), 'ann');
      assert.equal(a.get('domain'), 'example');
    },
  },
  {
    name: 'extract without a match does nothing',
    actions: [{ key: 'count', pattern: '^(?<x>[a-z]+)$', action: 'extract' }],
    expect: (a) => assert.equal(a.has('x'), false),
  },
  {
    name: 'convert string → int',
    actions: [{ key: 'count', action: 'convert', converted_type: 'int' }],
    expect: (a) => assert.equal(a.get('count'), 42n),
  },
  {
    name: 'convert string → double',
    actions: [{ key: 'ratio', action: 'convert', converted_type: 'double' }],
    expect: (a) => assert.equal(a.get('ratio'), 0.5),
  },
  {
    name: 'convert int → string',
    actions: [{ key: 'n', action: 'convert', converted_type: 'string' }],
    expect: (a) => assert.equal(a.get('n'), '7'),
  },
  {
    name: 'convert int → double',
    actions: [{ key: 'n', action: 'convert', converted_type: 'double' }],
    expect: (a) => assert.equal(a.get('n'), 7),
  },
  {
    name: 'convert unparseable leaves the value',
    actions: [{ key: 'path', action: 'convert', converted_type: 'int' }],
    expect: (a) => assert.equal(a.get('path'), '/api/v1/users/17'),
  },
  {
    name: 'actions run in order',
    actions: [
      { key: 'copy', from_attribute: 'user.email', action: 'insert' },
      { key: 'user.email', action: 'delete' },
      { key: 'copy', action: 'hash' },
    ],
    expect: (a) => {
      assert.equal(a.has('user.email'), false);
      assert.equal(a.get('copy'), sha(Buffer.from('ann@example.com')));
    },
  },
];

describe('shared action list', () => {
  for (const c of cases) {
    it(`attributes: ${c.name}`, async () => {
      const next = new CapturingConsumer();
      const processor = attributesProcessorFactory.create(
        settingsFor('attributes'),
        configOf(attributesProcessorFactory, { actions: c.actions }),
        next,
      );
      await processor.consume(logsOf([{ attributes: START.slice() }]), CONTEXT);
      c.expect(new Map(next.records()[0]!.attributes.map((kv) => [kv.key, kv.value])));
    });

    it(`resource: ${c.name}`, async () => {
      const next = new CapturingConsumer();
      const processor = resourceProcessorFactory.create(
        settingsFor('resource'),
        configOf(resourceProcessorFactory, { attributes: c.actions }),
        next,
      );
      await processor.consume(logsOf([{}], START.slice()), CONTEXT);
      c.expect(new Map(next.received[0]!.logs.resourceLogs[0]!.resource.attributes.map((kv) => [kv.key, kv.value])));
    });
  }

  it('hashes bools and doubles as otelcol does', async () => {
    const next = new CapturingConsumer();
    const processor = attributesProcessorFactory.create(
      settingsFor('attributes'),
      configOf(attributesProcessorFactory, { actions: [{ pattern: '.', action: 'hash' }] }),
      next,
    );
    await processor.consume(
      logsOf([
        {
          attributes: [
            { key: 'b', value: true },
            { key: 'd', value: 2.5 },
            { key: 'm', value: { kvlist: [] } },
          ],
        },
      ]),
      {},
    );
    const [b, d, m] = next.records()[0]!.attributes.map((kv) => kv.value);
    assert.equal(b, sha(Buffer.from([1])));
    assert.equal(d, sha(doublele(2.5)));
    assert.equal(m, '');
  });

  const badConfigs: Array<{ name: string; actions: unknown[]; path: string; message: RegExp }> = [
    {
      name: 'bad delete pattern',
      actions: [
        { key: 'a', value: 1, action: 'insert' },
        { pattern: '([', action: 'delete' },
      ],
      path: 'actions.1.pattern',
      message: /not a valid RE2 regular expression/,
    },
    {
      name: 'bad extract pattern',
      actions: [{ key: 'a', pattern: '(?P<x>[', action: 'extract' }],
      path: 'actions.0.pattern',
      message: /not a valid RE2 regular expression/,
    },
    {
      name: 'extract without named groups',
      actions: [{ key: 'a', pattern: '(\\d+)', action: 'extract' }],
      path: 'actions.0.pattern',
      message: /no named groups/,
    },
    {
      name: 'a backreference (RE2 has none)',
      actions: [{ key: 'a', pattern: '(?P<w>\\w+) \\1', action: 'extract' }],
      path: 'actions.0.pattern',
      message: /backreferences, which RE2 .* does not support/,
    },
    {
      name: 'a lookahead (RE2 has none)',
      actions: [{ pattern: '^secret(?!\\.keep)', action: 'delete' }],
      path: 'actions.0.pattern',
      message: /lookahead or lookbehind, which RE2 .* does not support/,
    },
    {
      name: 'insert without a value source',
      actions: [{ key: 'a', action: 'insert' }],
      path: 'actions.0.action',
      message: /exactly one of value/,
    },
    {
      name: 'upsert with two sources',
      actions: [{ key: 'a', value: 1, from_attribute: 'b', action: 'upsert' }],
      path: 'actions.0.action',
      message: /exactly one/,
    },
    { name: 'update without key', actions: [{ value: 1, action: 'update' }], path: 'actions.0.key', message: /needs a key/ },
    {
      name: 'delete with key and pattern',
      actions: [{ key: 'a', pattern: 'b', action: 'delete' }],
      path: 'actions.0.key',
      message: /exactly one of key or pattern/,
    },
    {
      name: 'convert without type',
      actions: [{ key: 'a', action: 'convert' }],
      path: 'actions.0.converted_type',
      message: /needs converted_type/,
    },
    { name: 'unknown action', actions: [{ key: 'a', action: 'rename' }], path: 'actions.0.action', message: /Invalid enum/ },
    {
      name: 'unknown key (typo)',
      actions: [{ key: 'a', value: 1, action: 'insert', valeu: 2 }],
      path: 'actions.0',
      message: /Unrecognized key/,
    },
  ];
  for (const c of badConfigs) {
    it(`refuses ${c.name} with an issue at ${c.path}`, () => {
      const issues = issuesOf(attributesProcessorFactory, { actions: c.actions });
      assert.ok(
        issues.some((i) => i.startsWith(`${c.path}: `) && c.message.test(i)),
        `no issue at ${c.path} matching ${c.message}: ${JSON.stringify(issues)}`,
      );
    });
  }

  it('resource: bad pattern is located under attributes[i]', () => {
    const issues = issuesOf(resourceProcessorFactory, { attributes: [{ pattern: '*', action: 'delete' }] });
    assert.ok(
      issues.some((i) => i.startsWith('attributes.0.pattern: ')),
      JSON.stringify(issues),
    );
  });

  it('an empty action list is refused', () => {
    assert.ok(issuesOf(resourceProcessorFactory, {}).some((i) => i.startsWith('attributes')));
    assert.ok(issuesOf(attributesProcessorFactory, null).some((i) => i.startsWith('actions')));
  });

  it('passes errors from the next consumer through unchanged', async () => {
    const next = new CapturingConsumer();
    const refusal = new Error('queue full');
    next.answer = () => Promise.reject(refusal);
    const processor = resourceProcessorFactory.create(
      settingsFor('resource'),
      configOf(resourceProcessorFactory, { attributes: [{ key: 'a', value: 'b', action: 'upsert' }] }),
      next,
    );
    await assert.rejects(processor.consume(logsOf([{}]), {}), (err) => err === refusal);
  });
});
