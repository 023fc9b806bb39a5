import type { LogsConsumer } from '../component';
import {
  asConsumeError,
  cloneLogsData,
  countLogRecords,
  forgetWireBytes,
  moreUrgentRefusal,
  type ClientContext,
  type ConsumeError,
  type LogsData,
} from '@sluice/pdata';
import { errorStack, type Logger } from '../logger';
import { RateLimitedWarner } from '@sluice/pdata';
import type { Telemetry } from '../telemetry/telemetry';
import { consumeOrReject } from './consume-or-reject';

export interface FanoutTarget {
  id: string;
  consumer: LogsConsumer;
  /** Sluice's `optional: true`: a refusal is counted and logged, never fails the request. */
  optional: boolean;
}

/**
 * Hands the same data to every exporter of a pipeline (exporters never change what they are
 * handed) and resolves once all have accepted it: the acknowledgement rule. Exporters are
 * decoupled by their own queues, so waiting for all of them costs only the slowest enqueue, not
 * the slowest delivery.
 */
export class ExporterFanout implements LogsConsumer {
  private readonly dropped;
  /** A refusal repeats for every request while a queue is full: the counter has the full story. */
  private readonly refusalLog: RateLimitedWarner;

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
    this.refusalLog = new RateLimitedWarner(OPTIONAL_REFUSAL_LOG_INTERVAL_MS, (message, fields) => logger.warn(message, fields));
  }

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    if (this.targets.length === 1) return this.consumeOne(this.targets[0]!, logs, context);
    return settleAll(this.targets.map((target) => this.consumeOne(target, logs, context)));
  }

  private consumeOne(target: FanoutTarget, logs: LogsData, context: ClientContext): Promise<void> {
    const accepted = consumeOrReject(target.consumer, logs, context);
    if (!target.optional) return accepted;
    return accepted.catch((err: unknown) => {
      const error = asConsumeError(err);
      const records = countLogRecords(logs);
      this.dropped.inc({ exporter: target.id, pipeline: this.pipelineId }, records);
      this.refusalLog.warn(`${target.id} ${error.code}`, 'optional exporter refused data; dropped', {
        exporter: target.id,
        pipeline: this.pipelineId,
        records,
        error: error.message,
      });
    });
  }
}

export interface FanoutPipeline {
  id: string;
  consumer: LogsConsumer;
  /** Some processor of the pipeline declares `mutatesData`. */
  mutates: boolean;
  /** Requests reach an exporter that works from their bytes unchanged (no processor merges or changes them). */
  usesWireBytes?: boolean;
}

/** An optional exporter's refusals are logged at most this often per exporter and code. */
const OPTIONAL_REFUSAL_LOG_INTERVAL_MS = 10_000;

/** A bug repeating on every request is logged at most this often per pipeline. */
const BUG_LOG_INTERVAL_MS = 60_000;

/**
 * Fans a receiver's data out to the pipelines that list it, by otelcol's fan-out rule: pipelines
 * that only read the data share it; each pipeline that changes it gets its own deep copy, and all
 * copies are made before any pipeline runs (a processor changes the data within its `consume`
 * call, so a later copy would copy its changes). When every pipeline changes the data the last one
 * takes the original, which nobody else reads (and which then forgets the protobuf bytes it
 * arrived as, see wire-logs). So the order of pipelines in a config changes nothing.
 *
 * A pipeline failing with anything but a ConsumeError has a bug: the data is refused as permanent
 * SLUICE_INTERNAL and the failure is logged with its stack, rate-limited.
 */
export class PipelineFanout implements LogsConsumer {
  private readonly allMutate: boolean;
  private readonly bugLog: RateLimitedWarner;
  /** Deferring the decoding only pays when some pipeline's exporter works from the bytes. */
  readonly wantsWireBytes: boolean;

  constructor(
    private readonly pipelines: readonly FanoutPipeline[],
    logger: Logger,
  ) {
    this.allMutate = pipelines.every((p) => p.mutates);
    this.wantsWireBytes = pipelines.some((p) => p.usesWireBytes === true);
    this.bugLog = new RateLimitedWarner(BUG_LOG_INTERVAL_MS, (message, fields) => logger.error(message, fields));
  }

  consume(logs: LogsData, context: ClientContext): Promise<void> {
    const pipelines = this.pipelines;
    // A pipeline that changes the original in place: the bytes it arrived as no longer describe it.
    if (this.allMutate) forgetWireBytes(logs);
    if (pipelines.length === 1) return this.consumeOne(pipelines[0]!, logs, context);
    const last = pipelines.length - 1;
    const inputs = pipelines.map((p, i) => (p.mutates && !(this.allMutate && i === last) ? cloneLogsData(logs) : logs));
    return settleAll(pipelines.map((p, i) => this.consumeOne(p, inputs[i]!, context)));
  }

  private consumeOne(pipeline: FanoutPipeline, logs: LogsData, context: ClientContext): Promise<void> {
    const accepted = consumeOrReject(pipeline.consumer, logs, context);
    return accepted.catch((err: unknown) => {
      const error = asConsumeError(err);
      // Logged here, once per request, whichever layer below (an exporter fan-out, a processor)
      // turned the bug into SLUICE_INTERNAL: the cause keeps the original stack.
      if (error.code === 'SLUICE_INTERNAL') {
        this.bugLog.warn(pipeline.id, 'a component failed unexpectedly (a bug); the data was refused as permanent', {
          pipeline: pipeline.id,
          error: errorStack(error.cause ?? err),
        });
      }
      throw error;
    });
  }
}

/** Waits for every consumer (so none is left running unobserved), then fails with the refusal that takes precedence. */
export async function settleAll(accepted: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(accepted);
  let chosen: ConsumeError | undefined;
  for (const result of results) {
    if (result.status === 'rejected') chosen = moreUrgentRefusal(chosen, asConsumeError(result.reason));
  }
  if (chosen) throw chosen;
}
