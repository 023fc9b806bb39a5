/**
 * The llm-proxy profile's retry waits, ±25% jitter, with a fake clock: the profile's own
 * `retry_on_failure` (as loaded from configs/llm-proxy.yaml) drives the exporter helper against a
 * destination that always fails, with the jitter's random draw pinned at both ends and the middle.
 */
import assert from 'node:assert/strict';
import { builtinComponents } from '@sluice/collector';
import { Telemetry, createMemoryLogger, createQueuedExporter, loadConfigFiles, type Clock, type ExporterHelperConfig } from '@sluice/core';
import { ConsumeError, type LogsData } from '@sluice/pdata';
import { LLM_PROXY_PROFILE, proxyLogs } from './support/llm-proxy';

/** The exporter-helper part of the profile's Loki section, with Loki enabled and nothing else set. */
function profileHelperConfig(): ExporterHelperConfig {
  const result = loadConfigFiles([LLM_PROXY_PROFILE], builtinComponents(), { env: { LLM_PROXY_LOKI_ENABLED: 'true' } });
  assert.ok(result.config, JSON.stringify(result.diagnostics));
  return result.config.exporters.get('loki')!.config as ExporterHelperConfig;
}

/** The waits between attempts when every attempt fails, with `random()` always returning `draw`. */
async function waitsWithDraw(config: ExporterHelperConfig, draw: number): Promise<{ waits: number[]; attempts: number }> {
  const waits: number[] = [];
  let now = 0;
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
  let attempts = 0;
  const exporter = createQueuedExporter({
    settings: { id: 'loki', kind: 'exporter', logger: createMemoryLogger(), telemetry: new Telemetry() },
    // Without the queue, consume waits for the last attempt and carries its outcome.
    config: { ...config, sending_queue: { ...config.sending_queue, enabled: false } },
    encode: (logs: LogsData) => logs,
    send: () => (attempts++, Promise.resolve({ ok: false, retryable: true, reason: 'HTTP 503: unavailable' })),
    clock,
    random: () => draw,
  });
  await exporter.start({ getExtension: () => undefined, getExporters: () => new Map() });
  await assert.rejects(
    exporter.consume(proxyLogs({ logType: 'request', provider: 'openai', session: 's', request: 'r' }), {}),
    (err: unknown) => err instanceof ConsumeError && /gave up after 6 attempts/.test(err.message),
  );
  await exporter.shutdown();
  return { waits, attempts };
}

describe('configs/llm-proxy.yaml retry waits (fake clock)', () => {
  it('100ms ×2 up to 10s, 5 retries, each wait within ±25% of its interval, both ends reached', async () => {
    const config = profileHelperConfig();
    assert.deepEqual(
      { ...config.retry_on_failure },
      {
        enabled: true,
        initial_interval: 100,
        max_interval: 10_000,
        multiplier: 2,
        randomization_factor: 0.25,
        max_elapsed_time: 0,
        max_retries: 5,
      },
    );
    const nominal = [100, 200, 400, 800, 1600];
    const byDraw = new Map<number, number[]>();
    for (const draw of [0, 0.5, 1]) {
      const { waits, attempts } = await waitsWithDraw(config, draw);
      assert.equal(attempts, 6, 'the first attempt and 5 retries');
      assert.equal(waits.length, 5, `draw ${draw}: a wait before each retry`);
      waits.forEach((wait, i) => {
        assert.ok(wait >= nominal[i]! * 0.75 && wait <= nominal[i]! * 1.25, `draw ${draw}: wait ${wait} for interval ${nominal[i]}`);
      });
      byDraw.set(draw, waits);
    }
    assert.deepEqual(byDraw.get(0), [75, 150, 300, 600, 1200], 'the lowest draw: -25%');
    assert.deepEqual(byDraw.get(0.5), nominal, 'the middle draw: the interval itself');
    assert.deepEqual(byDraw.get(1), [125, 250, 500, 1000, 2000], 'the highest draw: +25%');
  });
});
