/**
 * What the in-thread pino stream needs from the logger that wrote a line, to build the record
 * from the logged object instead of parsing the line pino just serialized. Child bindings,
 * message and error keys, redaction and nesting sit behind pino's private symbols, found once per
 * logger by their descriptions. Whenever something is missing or the logger shapes its output in a
 * way not reproduced here (redaction, `nestedKey`, `formatters.log`, a `streamWrite` hook, which
 * apps use to scrub lines), `objectPath` is false and
 * the stream parses the line: never a record that differs from what pino wrote.
 */
export interface PinoLoggerView {
  objectPath: boolean;
  messageKey: string;
  errorKey: string;
  serializers: Record<string, (value: unknown) => unknown>;
  /** The child bindings as fields (pid and hostname included, as on the line). */
  bindings(): Record<string, unknown>;
}

type PinoLogger = Record<symbol, unknown>;

const NOT_SUPPORTED: PinoLoggerView = {
  objectPath: false,
  messageKey: 'msg',
  errorKey: 'err',
  serializers: {},
  bindings: () => ({}),
};
const views = new WeakMap<object, PinoLoggerView>();
const parsedBindings = new Map<string, Record<string, unknown>>();
/** Per-request child loggers each have their own bindings: keep the cache from growing with them. */
const MAX_CACHED_BINDINGS = 1_000;

function symbolsByDescription(logger: object): Map<string, symbol> {
  const found = new Map<string, symbol>();
  for (let o: object | null = logger; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const symbol of Object.getOwnPropertySymbols(o)) {
      if (symbol.description && !found.has(symbol.description)) found.set(symbol.description, symbol);
    }
  }
  return found;
}

/** `,"pid":1,"hostname":"h","req":"r1"` → its fields, parsed once per distinct string. */
function parseBindings(chindings: string): Record<string, unknown> {
  let fields = parsedBindings.get(chindings);
  if (!fields) {
    fields = chindings === '' ? {} : (JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>);
    if (parsedBindings.size >= MAX_CACHED_BINDINGS) parsedBindings.clear();
    parsedBindings.set(chindings, fields);
  }
  return fields;
}

function buildView(logger: PinoLogger): PinoLoggerView {
  const symbols = symbolsByDescription(logger);
  const at = (description: string): unknown => {
    const symbol = symbols.get(description);
    return symbol === undefined ? undefined : logger[symbol];
  };
  const chindingsSymbol = symbols.get('pino.chindings');
  const messageKey = at('pino.messageKey');
  const errorKey = at('pino.errorKey');
  const stringifiers = at('pino.stringifiers');
  const serializers = at('pino.serializers');
  const formatters = at('pino.formatters') as { log?: unknown } | undefined;
  const hooks = at('pino.hooks') as { streamWrite?: unknown } | undefined;
  const known =
    chindingsSymbol !== undefined &&
    typeof messageKey === 'string' &&
    typeof errorKey === 'string' &&
    typeof stringifiers === 'object' &&
    stringifiers !== null &&
    typeof serializers === 'object' &&
    serializers !== null;
  if (!known) return NOT_SUPPORTED;
  const redacts = Reflect.ownKeys(stringifiers).length > 0;
  const objectPath = !redacts && !at('pino.nestedKey') && typeof formatters?.log !== 'function' && typeof hooks?.streamWrite !== 'function';
  return {
    objectPath,
    messageKey,
    errorKey,
    serializers: serializers as PinoLoggerView['serializers'],
    bindings: () => parseBindings(logger[chindingsSymbol] as string),
  };
}

export function pinoLoggerView(logger: object): PinoLoggerView {
  let view = views.get(logger);
  if (!view) {
    view = buildView(logger as PinoLogger);
    views.set(logger, view);
  }
  return view;
}
