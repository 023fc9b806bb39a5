/**
 * `@sluice/sdk/pino-transport`, a pino transport target: pino runs it in a worker thread, so
 * conversion and export cost the app's thread nothing.
 *
 *   pino(pino.transport({
 *     target: '@sluice/sdk/pino-transport',
 *     options: { serviceName: 'checkout', endpoint: 'https://collector:4317' },
 *   }));
 *
 * Options are the bridge's, minus what cannot cross a thread boundary (a token function).
 */
import build from 'pino-abstract-transport';
import type { LogBridgeOptions } from './options';
import { startLogBridge } from './bridge';
import { pinoToLogRecord } from './adapters/pino-record';

interface PinoConfig {
  levels?: { labels?: Record<number, string> };
  messageKey?: string;
}

export default async function pinoTransport(options: LogBridgeOptions = {}) {
  // Signals are the app thread's business; the worker flushes when pino ends its stream, which
  // pino does on `transport.end()` and when the app exits (blocking the exit up to 10 s for it).
  const bridge = startLogBridge({ ...options, handleSignals: false });
  const logger = bridge.logger('pino');
  return build(
    async (source) => {
      const config = source as unknown as PinoConfig;
      const messageKey = config.messageKey ?? 'msg';
      for await (const fields of source as AsyncIterable<Record<string, unknown>>) {
        const level = fields.level;
        const label = typeof level === 'number' ? config.levels?.labels?.[level] : undefined;
        logger.emit(pinoToLogRecord(fields, messageKey, label));
      }
    },
    { close: () => bridge.shutdown(), expectPinoConfig: true },
  );
}
