/** The small parts of config loading: message format, typo suggestions, schema key discovery, merge. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ErrorCodes } from '@sluice/pdata';
import { formatDiagnostic } from '../src/config/diagnostics';
import { loadConfigText } from '../src/config/load';
import { mergeNodes } from '../src/config/merge';
import { locate, toPlain } from '../src/config/located';
import { section } from '../src/config/schema';
import { keysAt } from '../src/config/schema-keys';
import { editDistance, nearestName } from '../src/config/suggest';
import { readYaml } from '../src/config/yaml-source';
import { testRegistry } from './config-fixtures';

describe('config parts', () => {
  it('formats a diagnostic with its code, path, place and detail', () => {
    const base = {
      code: 'SLUICE_CONFIG_UNKNOWN_KEY',
      severity: 'error',
      path: 'exporters.loki.endpont',
      message: 'unknown key; did you mean endpoint?',
    } as const;
    assert.equal(
      formatDiagnostic({ ...base, file: 'configs/x.yaml', line: 12, column: 5 }),
      'SLUICE_CONFIG_UNKNOWN_KEY: exporters.loki.endpont (configs/x.yaml:12:5): unknown key; did you mean endpoint?',
    );
    assert.equal(
      formatDiagnostic({ ...base, line: 12, column: 5 }),
      'SLUICE_CONFIG_UNKNOWN_KEY: exporters.loki.endpont (line 12:5): unknown key; did you mean endpoint?',
    );
    assert.equal(
      formatDiagnostic({ ...base, code: 'SLUICE_CONFIG_READ', path: '', file: 'a.yaml', message: 'cannot read' }),
      'SLUICE_CONFIG_READ: (a.yaml): cannot read',
    );
  });

  it('suggests only names close enough to be a typo', () => {
    assert.equal(editDistance('endpont', 'endpoint'), 1);
    assert.equal(editDistance('ednpoint', 'endpoint'), 1, 'a swap counts once');
    assert.equal(nearestName('endpont', ['timeout', 'endpoint', 'headers']), 'endpoint');
    assert.equal(nearestName('Endpoint', ['endpoint']), 'endpoint');
    assert.equal(nearestName('websocket', ['grpc', 'http']), undefined);
    assert.equal(nearestName('htp', ['grpc', 'http']), 'http');
  });

  it('finds the valid keys through preprocess, defaults, optionals, arrays, records and unions', () => {
    const schema = section({
      tls: section({ ca_file: z.string().optional(), insecure: z.boolean().default(false) }).optional(),
      routes: z.array(z.object({ match: z.string(), to: z.string() }).strict()).default([]),
      headers: z.record(z.object({ value: z.string() }).strict()),
      target: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('file'), path: z.string() }).strict(),
        z.object({ kind: z.literal('url'), url: z.string() }).strict(),
      ]),
      mode: z.union([z.string(), z.object({ name: z.string() }).strict()]).nullable(),
    });
    assert.deepEqual(keysAt(schema, []).sort(), ['headers', 'mode', 'routes', 'target', 'tls']);
    assert.deepEqual(keysAt(schema, ['tls']).sort(), ['ca_file', 'insecure']);
    assert.deepEqual(keysAt(schema, ['routes', 3]).sort(), ['match', 'to']);
    assert.deepEqual(keysAt(schema, ['headers', 'X-Any']), ['value']);
    assert.deepEqual(keysAt(schema, ['target']).sort(), ['kind', 'path', 'url']);
    assert.deepEqual(keysAt(schema, ['mode']), ['name']);
    assert.deepEqual(keysAt(schema, ['nothing', 'here']), []);
  });

  it('merges later over earlier: maps by key, lists and scalars replaced, null replaces', () => {
    const earlier = readYaml('a: { x: 1, y: [1, 2] }\nb: { keep: true }\nc: 1\n', 'one.yaml').root!;
    const later = readYaml('a: { y: [3] , z: 2 }\nb:\nc: { now: map }\n', 'two.yaml').root!;
    const merged = mergeNodes(earlier, later);
    assert.deepEqual(toPlain(merged), { a: { x: 1, y: [3], z: 2 }, b: null, c: { now: 'map' } });
    assert.equal(locate(merged, merged.pos, ['a', 'x']).keyPos.file, 'one.yaml');
    assert.equal(locate(merged, merged.pos, ['a', 'z']).keyPos.file, 'two.yaml');
  });

  it('reads anchors, aliases and merge keys as copies, each positioned', () => {
    const root = readYaml('base: &b { endpoint: x, timeout: 1s }\nuse:\n  <<: *b\n  timeout: 2s\n').root!;
    assert.deepEqual(toPlain(root), { base: { endpoint: 'x', timeout: '1s' }, use: { endpoint: 'x', timeout: '2s' } });
  });

  it('refuses a file whose top level is not a map', () => {
    const source = readYaml('- receivers\n', 'list.yaml');
    assert.equal(source.root, undefined);
    assert.deepEqual(
      source.diagnostics.map((d) => [d.code, d.file, d.line]),
      [['SLUICE_CONFIG_INVALID_VALUE', 'list.yaml', 1]],
    );
  });

  it('never throws on arbitrary config shapes; every finding is coded and located', () => {
    const ids = fc.constantFrom('otlp', 'batch', 'loki', 'file', 'jsonl/a', 'health_check', 'filelog', 'bad id', 'logs', 'traces');
    const sections = fc.dictionary(ids, fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 3 })), { maxKeys: 4 });
    const config = fc.record(
      {
        receivers: sections,
        processors: sections,
        exporters: sections,
        extensions: sections,
        service: fc.record(
          { pipelines: sections, extensions: fc.jsonValue({ maxDepth: 2 }), telemetry: fc.jsonValue({ maxDepth: 4 }) },
          { requiredKeys: [] },
        ),
        extra: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    const registry = testRegistry();
    fc.assert(
      fc.property(config, fc.dictionary(fc.constantFrom('A', 'B'), fc.string()), (value, env) => {
        const result = loadConfigText(stringify(value), registry, { env });
        for (const d of result.diagnostics) {
          assert.ok(d.code in ErrorCodes, d.code);
          assert.ok(d.line === undefined || d.line >= 1);
        }
        assert.equal(result.config !== undefined, !result.diagnostics.some((d) => d.severity === 'error'));
      }),
      { numRuns: 300 },
    );
  });
});
