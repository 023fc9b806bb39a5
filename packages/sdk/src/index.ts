export { startLogBridge } from './bridge';
export type { LogBridge } from './bridge';
export type { LogBridgeOptions, TlsOptions, TokenSource } from './options';
export type { BridgeStats } from './stats';
// The errors startLogBridge throws come from the one Sluice catalogue.
export { SluiceError, ErrorCodes } from '@sluice/pdata';
export type { ErrorCode } from '@sluice/pdata';
export { PinoOtelStream } from './adapters/pino-stream';
export type { PinoStreamOptions } from './adapters/pino-stream';
export type { TraceFields } from './adapters/pino-mixin';
