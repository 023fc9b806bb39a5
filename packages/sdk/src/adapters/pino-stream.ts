import type { AdapterSink } from './sink';
import { pinoToLogRecord } from './pino-record';

export interface PinoStreamOptions {
  /** The `messageKey` the pino logger uses, if not 'msg'. */
  messageKey?: string;
}

/** What pino sets on a destination that asks for metadata, just before each write. */
interface PinoMetadata {
  lastLevel?: number;
  lastLogger?: { levels?: { labels?: Record<number, string> } };
}

/**
 * A pino destination (`pino(options, stream)`) that turns each line into an OTel record on the
 * app's thread, so the active span is the app's. Asking pino for metadata gives us the level's
 * label, which custom levels need.
 */
export class PinoOtelStream implements PinoMetadata {
  lastLevel?: number;
  lastLogger?: PinoMetadata['lastLogger'];
  private readonly messageKey: string;

  constructor(
    private readonly sink: AdapterSink,
    options: PinoStreamOptions = {},
  ) {
    this.messageKey = options.messageKey ?? 'msg';
    Object.defineProperty(this, Symbol.for('pino.metadata'), { value: true });
  }

  write(line: string): boolean {
    if (!this.sink.admit()) return true;
    try {
      const fields = JSON.parse(line) as Record<string, unknown>;
      const label = this.lastLevel === undefined ? undefined : this.lastLogger?.levels?.labels?.[this.lastLevel];
      this.sink.logger.emit(pinoToLogRecord(fields, this.messageKey, label));
    } catch (error) {
      this.sink.onError(error);
    }
    return true;
  }
}
