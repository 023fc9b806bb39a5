import type { LogRecord } from '@opentelemetry/api-logs';
import { mapFields, timeField } from '../fields';
import { namedSeverity, pinoSeverity } from '@sluice/pdata';

/** pino's own bookkeeping fields: level, time and message are mapped; pid and hostname are in the resource. */
const PINO_OWN_FIELDS = ['level', 'time', 'pid', 'hostname'];

/** Which keys to leave out of the attributes, cached per message key (almost always 'msg'). */
const skipSets = new Map<string, ReadonlySet<string>>();
function skipFor(messageKey: string): ReadonlySet<string> {
  let skip = skipSets.get(messageKey);
  if (!skip) {
    skip = new Set([...PINO_OWN_FIELDS, messageKey]);
    skipSets.set(messageKey, skip);
  }
  return skip;
}

/** One parsed pino line → an OTel log record. `label` names custom levels the number alone cannot. */
export function pinoToLogRecord(fields: Record<string, unknown>, messageKey: string, label?: string): LogRecord {
  const level = fields.level;
  const severity = typeof level === 'number' ? pinoSeverity(level, label) : namedSeverity(typeof level === 'string' ? level : 'info');
  const { attributes, context } = mapFields(fields, skipFor(messageKey));
  const message = fields[messageKey];
  const record: LogRecord = {
    timestamp: timeField(fields.time),
    severityNumber: severity.number,
    severityText: severity.text,
    body: typeof message === 'string' ? message : undefined,
    attributes,
  };
  // Only when set: an explicit undefined would hide the active context from the SDK.
  if (context) record.context = context;
  return record;
}
