import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConsumeError } from '@sluice/pdata';
import { ExponentialBackoff } from '@sluice/pdata';
import { createQueuedExporter } from '../src/exporterhelper/queued-exporter';
import { parseRetryAfter } from '../src/exporterhelper/retry-after';
import { MAX_RETRY_AFTER_MS } from '../src/exporterhelper/send-with-retry';
import type { SendOutcome } from '../src/exporterhelper/send-outcome';
import type { LogsData } from '@sluice/pdata';
import { helperConfig, hostWith, instantClock, makeLogs, sample, testSettings } from './exporterhelper-helpers';

const fail = (reason = 'HTTP 503: unavailable', extra: Partial<SendOutcome> = {}): SendOutcome => ({
  ok: false,
  retryable: true,
  reason,
  ...extra,
});

/** An exporter without a queue, so `consume` carries the final outcome; sends answer from `outcomes` in turn. */
async function directExporter(outcomes: SendOutcome[], retry: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const clock = instantClock();
  const { settings, logger, telemetry } = testSettings();
  let attempts = 0;
  const exporter = createQueuedExporter({
    settings,
    config: helperConfig({ sending_queue: { enabled: false }, retry_on_failure: retry, ...extra }),
    encode: (logs: LogsData) => logs,
    send: () => Promise.resolve(outcomes[Math.min(attempts++, outcomes.length - 1)]!),
    clock,
    random: () => 0.5,
  });
  await exporter.start(hostWith());
  return { exporter, clock, logger, telemetry, attempts: () => attempts };
}

describe('exporter helper: backoff', () => {
  it('grows by the multiplier up to max_interval', () => {
    const backoff = new ExponentialBackoff(
      { initial_interval: 100, max_interval: 1000, multiplier: 2, randomization_factor: 0.5 },
      () => 0.5,
    );
    assert.deepEqual(
      Array.from({ length: 7 }, () => backoff.next()),
      [100, 200, 400, 800, 1000, 1000, 1000],
    );
  });

  it('keeps every wait within ±randomization_factor of the interval', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (draws, factor) => {
          let i = 0;
          const backoff = new ExponentialBackoff(
            { initial_interval: 100, max_interval: 3000, multiplier: 1.5, randomization_factor: factor },
            () => draws[i++ % draws.length]!,
          );
          let interval = 100;
          for (let n = 0; n < draws.length; n++) {
            const wait = backoff.next();
            assert.ok(
              wait >= interval * (1 - factor) - 1e-9 && wait <= interval * (1 + factor) + 1e-9,
              `wait ${wait} for interval ${interval}`,
            );
            interval = Math.min(interval * 1.5, 3000);
          }
        },
      ),
    );
  });

  it('spreads waits: the lowest and highest draws give the bounds', () => {
    const low = new ExponentialBackoff(
      { initial_interval: 1000, max_interval: 30_000, multiplier: 1.5, randomization_factor: 0.25 },
      () => 0,
    );
    const high = new ExponentialBackoff(
      { initial_interval: 1000, max_interval: 30_000, multiplier: 1.5, randomization_factor: 0.25 },
      () => 0.999999,
    );
    assert.equal(low.next(), 750);
    assert.ok(Math.abs(high.next() - 1250) < 0.01);
  });
});

describe('exporter helper: retry', () => {
  it('retries retryable failures with the backoff sequence, then succeeds', async () => {
    const { exporter, clock, telemetry, attempts } = await directExporter([fail(), fail(), fail(), { ok: true }], {
      initial_interval: '100ms',
      multiplier: 2,
      max_interval: '1s',
    });
    await exporter.consume(makeLogs(1, 3), {});
    assert.equal(attempts(), 4);
    assert.deepEqual(clock.sleeps, [100, 200, 400]);
    const scrape = await telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_sent_log_records_total', 'exporter="loki"'), 3);
    assert.equal(sample(scrape, 'sluice_exporter_send_duration_seconds_count', 'outcome="retryable"'), 3);
    assert.equal(sample(scrape, 'sluice_exporter_send_duration_seconds_count', 'outcome="success"'), 1);
    await exporter.shutdown();
  });

  it('honours the server Retry-After instead of the computed wait', async () => {
    const { exporter, clock } = await directExporter([fail('HTTP 429', { retryAfterMs: 7000 }), fail(), { ok: true }], {
      initial_interval: '100ms',
      multiplier: 2,
    });
    await exporter.consume(makeLogs(1), {});
    // 7000 from the server, then the backoff carries on where it was (its second step).
    assert.deepEqual(clock.sleeps, [7000, 200]);
    await exporter.shutdown();
  });

  it('caps an absurd Retry-After', async () => {
    const { exporter, clock } = await directExporter([fail('HTTP 429', { retryAfterMs: 86_400_000 }), { ok: true }], {
      initial_interval: '100ms',
      max_elapsed_time: 0,
    });
    await exporter.consume(makeLogs(1), {});
    assert.deepEqual(clock.sleeps, [MAX_RETRY_AFTER_MS]);
    await exporter.shutdown();
  });

  it('gives up after max_elapsed_time, counts send_failed and logs the last reason', async () => {
    const { exporter, clock, telemetry, logger, attempts } = await directExporter([fail('HTTP 500: ingester down')], {
      initial_interval: '100ms',
      multiplier: 2,
      randomization_factor: 0,
      max_elapsed_time: '1s',
    });
    await assert.rejects(exporter.consume(makeLogs(1, 4), {}), (err: ConsumeError) => {
      assert.equal(err.retryable, true);
      assert.match(err.message, /ingester down/);
      return true;
    });
    // 100 + 200 + 400 = 700 elapsed; the next wait (800) would pass 1s.
    assert.deepEqual(clock.sleeps, [100, 200, 400]);
    assert.equal(attempts(), 4);
    const scrape = await telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_send_failed_log_records_total', 'exporter="loki"'), 4);
    const logged = logger.lines.find((line) => line.message === 'dropping log records after retries failed');
    assert.ok(logged);
    assert.match(String(logged.fields.reason), /ingester down/);
    assert.equal(exporter.health().entries_failed, 4);
    await exporter.shutdown();
  });

  it('gives up after max_retries retries (Sluice-only), whatever max_elapsed_time allows', async () => {
    const { exporter, clock, attempts } = await directExporter([fail('HTTP 503')], {
      initial_interval: '100ms',
      max_interval: '10s',
      multiplier: 2,
      randomization_factor: 0.25,
      max_elapsed_time: 0,
      max_retries: 5,
    });
    await assert.rejects(
      exporter.consume(makeLogs(1, 3), {}),
      (err: ConsumeError) => err.retryable && /gave up after 6 attempts/.test(err.message),
    );
    assert.equal(attempts(), 6, 'the first attempt and 5 retries');
    // random() is 0.5 here, so each wait is its interval: 100 ms doubling (the jitter has its own test above).
    assert.deepEqual(clock.sleeps, [100, 200, 400, 800, 1600]);
    assert.equal(exporter.health().entries_failed, 3);
    await exporter.shutdown();
  });

  it('sends once when retry_on_failure is disabled', async () => {
    const { exporter, attempts } = await directExporter([fail()], { enabled: false });
    await assert.rejects(exporter.consume(makeLogs(1), {}), ConsumeError);
    assert.equal(attempts(), 1);
    await exporter.shutdown();
  });

  it('drops a permanent failure after one attempt, counted with its reason', async () => {
    const permanent: SendOutcome = { ok: false, retryable: false, reason: 'entry too far behind', status: '400' };
    const { exporter, telemetry, logger, attempts, clock } = await directExporter([permanent], {});
    await assert.rejects(exporter.consume(makeLogs(1, 2), {}), (err: ConsumeError) => !err.retryable && /too far behind/.test(err.message));
    assert.equal(attempts(), 1);
    assert.deepEqual(clock.sleeps, []);
    const scrape = await telemetry.scrape();
    assert.equal(sample(scrape, 'sluice_exporter_dropped_log_records_total', 'reason="permanent_error"'), 2);
    assert.equal(sample(scrape, 'otelcol_exporter_send_failed_log_records_total', 'exporter="loki"'), 2);
    assert.equal(sample(scrape, 'sluice_exporter_send_duration_seconds_count', 'outcome="permanent"'), 1);
    const logged = logger.lines.find((line) => line.level === 'error' && line.message.includes('refused permanently'));
    assert.equal(logged?.fields.reason, 'entry too far behind');
    const health = exporter.health();
    assert.equal(health.entries_dropped, 2);
    assert.equal(health.last_error, '400: entry too far behind');
    assert.ok(health.last_error_time && !Number.isNaN(Date.parse(health.last_error_time)));
    await exporter.shutdown();
  });

  it('counts a partial success as sent plus dropped, without retrying', async () => {
    const { exporter, telemetry, attempts } = await directExporter([{ ok: true, rejectedRecords: 1, message: 'one line too long' }], {});
    await exporter.consume(makeLogs(1, 3), {});
    assert.equal(attempts(), 1);
    const scrape = await telemetry.scrape();
    assert.equal(sample(scrape, 'otelcol_exporter_sent_log_records_total', 'exporter="loki"'), 2);
    assert.equal(sample(scrape, 'sluice_exporter_dropped_log_records_total', 'reason="partial_success"'), 1);
    await exporter.shutdown();
  });

  it('treats a send that throws as a retryable failure', async () => {
    const clock = instantClock();
    const { settings } = testSettings();
    let attempts = 0;
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '10ms' } }),
      encode: (logs: LogsData) => logs,
      send: (): Promise<SendOutcome> => {
        if (attempts++ === 0) return Promise.reject(new Error('ECONNREFUSED 127.0.0.1:1'));
        return Promise.resolve({ ok: true });
      },
      clock,
    });
    await exporter.start(hostWith());
    await exporter.consume(makeLogs(1), {});
    assert.equal(attempts, 2);
    assert.match(exporter.health().last_error ?? '', /ECONNREFUSED/);
    await exporter.shutdown();
  });

  it('aborts the signal of an attempt that outlives the timeout', async () => {
    const { settings } = testSettings();
    const signals: AbortSignal[] = [];
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ timeout: '20ms', sending_queue: { enabled: false }, retry_on_failure: { enabled: false } }),
      encode: (logs: LogsData) => logs,
      // Honours the signal, as the contract asks.
      send: (_logs, signal) => {
        signals.push(signal);
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(fail('aborted'))));
      },
    });
    await exporter.start(hostWith());
    await assert.rejects(exporter.consume(makeLogs(1), {}), /timed out after 20ms/);
    assert.equal(signals.length, 1);
    assert.equal(signals[0]!.aborted, true);
    await exporter.shutdown();
  });
});

describe('exporter helper: encode', () => {
  it('encodes a batch once, right before its first attempt, and sends that payload on every retry', async () => {
    const clock = instantClock();
    const { settings } = testSettings();
    const encoded: LogsData[] = [];
    const payloads: Array<{ n: number }> = [];
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '10ms' } }),
      encode: (logs: LogsData) => {
        encoded.push(logs);
        return { n: encoded.length };
      },
      send: (payload): Promise<SendOutcome> => {
        payloads.push(payload);
        return Promise.resolve(payloads.length < 3 ? fail() : { ok: true });
      },
      clock,
    });
    await exporter.start(hostWith());
    const logs = makeLogs(1);
    await exporter.consume(logs, {});
    assert.deepEqual(encoded, [logs]);
    assert.equal(payloads.length, 3);
    assert.ok(
      payloads.every((payload) => payload === payloads[0]),
      'the same payload object on every attempt',
    );
    await exporter.shutdown();
  });

  it('drops a batch that cannot be encoded as a bug (encode_error, logged with its stack), without sending it', async () => {
    const { settings, logger, telemetry } = testSettings();
    let sends = 0;
    const exporter = createQueuedExporter({
      settings,
      config: helperConfig({ sending_queue: { enabled: false } }),
      encode: (): Buffer => {
        throw new Error('no encoding for this');
      },
      send: (): Promise<SendOutcome> => {
        sends++;
        return Promise.resolve({ ok: true });
      },
    });
    await exporter.start(hostWith());
    await assert.rejects(
      exporter.consume(makeLogs(1, 2), {}),
      (err: ConsumeError) =>
        !err.retryable && err.code === 'SLUICE_INTERNAL' && /cannot encode the batch: no encoding for this/.test(err.message),
    );
    assert.equal(sends, 0);
    assert.equal(exporter.health().entries_dropped, 2);
    assert.ok(logger.lines.some((line) => line.level === 'error' && /cannot encode/.test(String(line.fields.reason))));
    const logged = logger.lines.find((line) => line.level === 'error' && /could not encode/.test(line.message));
    assert.match(String(logged?.fields.error), /Error: no encoding for this\n\s+at /, 'the stack says where it was thrown');
    assert.ok(!logger.lines.some((line) => /refused permanently/.test(line.message)));
    const scrape = await telemetry.scrape();
    assert.equal(sample(scrape, 'sluice_exporter_dropped_log_records_total', 'reason="encode_error"'), 2);
    assert.equal(sample(scrape, 'sluice_exporter_dropped_log_records_total', 'reason="permanent_error"'), undefined);
    await exporter.shutdown();
  });
});

describe('exporter helper: parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
