import type { LogsConsumer } from '../component';
import { ConsumeError, asConsumeError } from '@sluice/pdata';
import type { Logger } from '../logger';
import { cloneLogsData, countLogRecords, type ClientContext, type LogsData } from '@sluice/pdata';
import type { Telemetry } from '../telemetry/telemetry';

export interface FanoutTarget {
  id: string;
  consumer: LogsConsumer;
  /** Sluice's `optional: true`: a refusal is counted and logged, never fails the request. */
  optional: boolean;
}

/**
 * Hands the same data to every exporter of a pipeline and resolves once all have accepted it
 * (so a sender's success means every exporter has it). Exporters are decoupled by their own queues, so waiting
 * for all of them costs only the slowest enqueue, not the slowest delivery.
 */
export class ExporterFanout implements LogsConsumer {
  private readonly dropped;

  constructor(
    private readonly pipelineId: string,
    private readonly targets: readonly FanoutTarget[],
    private readonly logger: Logger,
    telemetry: Telemetry,
  ) {
    this.dropped = telemetry.counter(
      'sluice_optional_exporter_refused_log_records_total',
      'Log records an optional exporter refused; they did not fail the request.',
      ['exporter', 'pipeline'],
    );
  }

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    if (this.targets.length === 1) return this.consumeOne(this.targets[0]!, logs, context);
    return settleAll(this.targets.map((target) => this.consumeOne(target, logs, context)));
  }

  private consumeOne(target: FanoutTarget, logs: LogsData, context: ClientContext): Promise<void> {
    let accepted: Promise<void>;
    try {
      accepted = target.consumer.consume(logs, context);
    } catch (err) {
      accepted = Promise.reject(err);
    }
    if (!target.optional) return accepted;
    return accepted.catch((err: unknown) => {
      const error = asConsumeError(err);
      const records = countLogRecords(logs);
      this.dropped.inc({ exporter: target.id, pipeline: this.pipelineId }, records);
      this.logger.warn('optional exporter refused data; dropped', {
        exporter: target.id,
        pipeline: this.pipelineId,
        records,
        error: error.message,
      });
    });
  }
}

/**
 * Fans a receiver's data out to the pipelines that list it. Pipelines with processors may
 * modify records in place, so every pipeline after the first gets its own copy.
 */
export class PipelineFanout implements LogsConsumer {
  constructor(private readonly pipelines: ReadonlyArray<{ consumer: LogsConsumer; mutates: boolean }>) {}

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    const pipelines = this.pipelines;
    if (pipelines.length === 1) return pipelines[0]!.consumer.consume(logs, context);
    const mustCopy = pipelines.some((p) => p.mutates);
    return settleAll(
      pipelines.map((p, i) => {
        const data = mustCopy && i > 0 ? cloneLogsData(logs) : logs;
        try {
          return p.consumer.consume(data, context);
        } catch (err) {
          return Promise.reject(err);
        }
      }),
    );
  }
}

/**
 * Waits for every consumer (so none is left running unobserved), then fails with the first
 * retryable refusal if there is one — a retry can succeed — else with the first permanent one.
 */
async function settleAll(accepted: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(accepted);
  let firstPermanent: ConsumeError | undefined;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    const error = asConsumeError(result.reason);
    if (error.retryable) throw error;
    firstPermanent ??= error;
  }
  if (firstPermanent) throw firstPermanent;
}
