import TransportStream from 'winston-transport';
import type { AnyValueMap, LogRecord } from '@opentelemetry/api-logs';
import type { AdapterSink } from './sink';
import { mapFields, timeField, toAnyValue } from '../fields';
import { namedSeverity } from '@sluice/pdata';

export type WinstonTransportOptions = TransportStream.TransportStreamOptions;

/** winston's own keys; `level` may be colorized, the uncolorized name sits under Symbol.for('level'). */
const WINSTON_OWN_FIELDS: ReadonlySet<string> = new Set(['level', 'message', 'timestamp', 'stack']);
const LEVEL = Symbol.for('level');

type WinstonInfo = Record<string | symbol, unknown>;

/**
 * `format.errors({ stack: true })` leaves the stack beside the message but not the error's class;
 * the stack's first line names it ("RangeError: ...").
 */
function errorAttributes(info: WinstonInfo): AnyValueMap {
  if (typeof info.stack !== 'string') return {};
  const type = typeof info.name === 'string' ? info.name : /^([\w$.]+):/.exec(info.stack)?.[1];
  return {
    'exception.type': type ?? 'Error',
    'exception.message': typeof info.message === 'string' ? info.message : '',
    'exception.stacktrace': info.stack,
  };
}

/**
 * A winston transport that turns each `info` object into an OTel log record. The base class
 * applies the transport's `level`, `format`, `silent` and `handleExceptions` options.
 */
export class WinstonOtelTransport extends TransportStream {
  /**
   * Set by winston's exception and rejection handlers, which then wait (up to 3 s) for 'finish'
   * before `process.exit(1)` — an exit that skips every hook, so we deliver first.
   */
  declare _ending?: boolean;

  constructor(
    private readonly sink: AdapterSink,
    options?: WinstonTransportOptions,
  ) {
    super(options);
  }

  override log(info: WinstonInfo, next: () => void): void {
    this.emitRecord(info);
    next();
    // Once the record is the bridge's (queued, or dropped and counted), as winston's own transports do.
    setImmediate(() => this.emit('logged', info));
    if (this._ending) void this.sink.flush().then(() => this.emit('finish'));
  }

  private emitRecord(info: WinstonInfo): void {
    if (!this.sink.admit()) return;
    try {
      const level = info[LEVEL] ?? info.level;
      const severity = namedSeverity(typeof level === 'string' ? level : 'info');
      const { attributes, context } = mapFields(info, WINSTON_OWN_FIELDS);
      const record: LogRecord = {
        timestamp: timeField(info.timestamp),
        severityNumber: severity.number,
        severityText: severity.text,
        body: toAnyValue(info.message),
        attributes: { ...attributes, ...errorAttributes(info) },
      };
      // Only when set: an explicit undefined would hide the active context from the SDK.
      if (context) record.context = context;
      this.sink.logger.emit(record);
    } catch (error) {
      this.sink.onError(error);
    }
  }
}
