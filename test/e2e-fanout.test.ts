import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { getAttribute, SeverityNumber as RecordSeverity } from '@sluice/pdata';
import { stringify } from 'yaml';
import { startTestCollector, tempDir, waitForRecords, type FlatRecord } from './support/collector';

/** The three pipelines fed by one receiver; each writes its own file. */
const PIPELINES = {
  errors: { processors: ['filter'] },
  redacted: { processors: ['attributes'] },
  all: { processors: [] },
} as const;
type PipelineName = keyof typeof PIPELINES;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

function config(order: readonly PipelineName[], dir: string): string {
  return stringify({
    receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
    processors: {
      filter: { logs: { log_record: ['severity_number < SEVERITY_NUMBER_ERROR'] } },
      attributes: { actions: [{ key: 'secret', action: 'delete' }] },
    },
    exporters: Object.fromEntries(order.map((name) => [`jsonl/${name}`, { path: join(dir, `${name}.jsonl`) }])),
    service: {
      telemetry: { metrics: { level: 'none' } },
      pipelines: Object.fromEntries(
        order.map((name) => [
          `logs/${name}`,
          { receivers: ['otlp'], processors: PIPELINES[name].processors, exporters: [`jsonl/${name}`] },
        ]),
      ),
    },
  });
}

const SENT = [
  { severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'login', attributes: { secret: 's1', user: 'ann' } },
  { severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'payment failed', attributes: { secret: 's2', user: 'bob' } },
  { severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'slow', attributes: { user: 'cy' } },
  { severityNumber: SeverityNumber.FATAL, severityText: 'FATAL', body: 'out of disk', attributes: { secret: 's3' } },
];

/** Each pipeline's file must hold what the pipeline alone would write: derived here from the unprocessed records. */
function expected(name: PipelineName, unprocessed: FlatRecord[]): FlatRecord[] {
  if (name === 'all') return unprocessed;
  if (name === 'errors') return unprocessed.filter((r) => r.record.severityNumber >= RecordSeverity.ERROR);
  return unprocessed.map((r) => ({ ...r, record: { ...r.record, attributes: r.record.attributes.filter((kv) => kv.key !== 'secret') } }));
}

describe('fan-out: one receiver, three pipelines, every order', function () {
  this.timeout(60_000);

  for (const order of permutations(Object.keys(PIPELINES) as PipelineName[])) {
    it(`each file holds what its pipeline alone would write: ${order.join(', ')}`, async () => {
      const tmp = await tempDir();
      const { collector } = await startTestCollector(config(order, tmp.dir));
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'fanout' }),
        processors: [
          new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://${collector.endpoints['otlp/http']}/v1/logs` }) }),
        ],
      });
      try {
        const logger = provider.getLogger('fanout');
        // One batch, so every pipeline is handed the same request.
        for (const record of SENT) logger.emit(record);
        await provider.forceFlush();
        const files = {} as Record<PipelineName, FlatRecord[]>;
        for (const name of order) {
          const want = name === 'errors' ? 2 : SENT.length;
          files[name] = await waitForRecords(join(tmp.dir, `${name}.jsonl`), want, `${name}.jsonl`);
        }
        const unprocessed = files.all;
        assert.deepEqual(
          unprocessed.map((r) => [r.record.body, getAttribute(r.record.attributes, 'secret')]),
          SENT.map((r) => [r.body, r.attributes.secret]),
          'the pipeline without processors sees every record, unchanged',
        );
        for (const name of order) assert.deepEqual(files[name], expected(name, unprocessed), `${name}.jsonl`);
      } finally {
        await provider.shutdown();
        await collector.shutdown();
        await tmp.cleanup();
      }
    });
  }
});
