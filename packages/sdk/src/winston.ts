// `@sluice/sdk/winston`: the winston transport's class and options, for code that types or checks
// it; a bridge makes one with `bridge.winstonTransport(options)`, wired to its queue.
export { WinstonOtelTransport } from './adapters/winston-transport';
export type { WinstonTransportOptions } from './adapters/winston-transport';
