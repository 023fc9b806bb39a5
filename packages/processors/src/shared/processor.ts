import type { Processor } from '@sluice/core';
import type { ClientContext, LogsData } from '@sluice/pdata';

/** A processor with nothing to start or stop: only its `consume` differs. */
export function statelessProcessor(consume: (logs: LogsData, context: ClientContext) => Promise<void>): Processor {
  return {
    start: async () => {},
    shutdown: async () => {},
    consume,
  };
}
