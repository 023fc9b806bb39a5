import type { ClientContext, LogsData } from '@sluice/pdata';
import type { LogsConsumer } from '../component';

/**
 * Hands data to a consumer, a consumer that throws instead of rejecting (a bug) turned into a
 * rejection, so callers handle one failure path.
 */
export function consumeOrReject(consumer: LogsConsumer, logs: LogsData, context: ClientContext): Promise<void> {
  try {
    return consumer.consume(logs, context);
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what was thrown unchanged: callers classify it with asConsumeError, and a non-ConsumeError is reported as a bug
    return Promise.reject(err);
  }
}
