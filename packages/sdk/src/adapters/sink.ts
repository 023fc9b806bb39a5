import type { Logger } from '@opentelemetry/api-logs';

/** What an adapter needs from the bridge. */
export interface AdapterSink {
  logger: Logger;
  /** False when the queue is full (the record is then already counted as dropped): skip the work. */
  admit(): boolean;
  /** Exports everything queued now (bounded by the bridge's shutdown timeout); never rejects. */
  flush(): Promise<void>;
  /** A line that could not be converted: reported, never thrown into the app. */
  onError(error: unknown): void;
}
