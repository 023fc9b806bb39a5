// The public surface of @sluice/pdata, listed explicitly.

// the OTLP-shaped logs model
export type {
  AnyValue,
  KeyValue,
  KeyValueList,
  Resource,
  InstrumentationScope,
  LogRecord,
  ScopeLogs,
  ResourceLogs,
  LogsData,
  ClientContext,
  CountedLogsData,
} from './model';
export {
  countLogRecords,
  emptyResource,
  emptyScope,
  emptyLogRecord,
  newLogRecord,
  isKeyValueList,
  getAttribute,
  setAttribute,
  deleteAttribute,
  anyValueToJson,
  keyValuesToJson,
  setOwnProperty,
  anyValueToString,
  cloneLogsData,
} from './model';

// cutting and joining batches without copying records
export { splitLogs, concatLogs } from './split';

// severity: the one table
export {
  SeverityNumber,
  SEVERITY_NUMBER_BY_NAME,
  severityNumberOfName,
  severityShortName,
  pinoSeverity,
  namedSeverity,
  detectedLevel,
} from './severity';
export type { SeverityName } from './severity';

// codecs: OTLP protobuf and OTLP/JSON (codec/)
export { decodeLogsProto } from './codec/proto-decode';
// single messages, for readers that walk the bytes themselves and decode only some parts
export { readResource as readResourceProto, readAnyValue as readAnyValueProto } from './codec/proto-decode';
export { scanLogsProto } from './codec/proto-scan';
export type { LogsProtoShape } from './codec/proto-scan';
// requests that keep their protobuf bytes and decode on first read
export { decodeLogsProtoLazily, decodeLogsProtoRequest, wireBytesOf, forwardableWireBytesOf, forgetWireBytes } from './wire-logs';
export type { WireDecoded } from './wire-logs';
export { encodeLogsProto, sizeLogsProto } from './codec/proto-encode';
export { decodeLogsJson } from './codec/json-decode';
export { encodeLogsJson } from './codec/json-encode';
export { transcodeLogsProtoToJson } from './codec/proto-to-json';
// JSON string literals straight from UTF-8 bytes, for writers that transcode without decoding
export { jsonStringRoom, writeJsonString } from './codec/json-string';
export { ProtoReader, MAX_DEPTH } from './codec/proto-reader';
export { writeHex } from './codec/hex-bytes';
export { EMPTY_VIEW, asciiView, viewOf } from './codec/byte-view';
export { copyAsciiWords, copyWords, sameWords } from './codec/byte-words';
export { decimalLength, decimalScale, scaledDigits, writeDecimal } from './codec/decimal-text';
export { ProtoWriter, int64Size, uint32Size } from './codec/proto-writer';

// shared by the collector and the SDK, which must not load core: jittered exponential backoff,
// rate-limited warnings, the one TLS file reader
export { ExponentialBackoff } from './backoff';
export type { BackoffSettings } from './backoff';
export { RateLimitedWarner } from './rate-limited-warner';
export { TlsFileError, certKeyPairError, loadTlsFiles } from './tls-files';
export type { TlsFileRef, TlsFileRefs, TlsMaterial } from './tls-files';

// the error catalogue
export {
  ErrorCodes,
  GrpcStatus,
  RETRYABLE_REFUSAL_STATUS,
  SluiceError,
  ConsumeError,
  retryableError,
  permanentError,
  asConsumeError,
  moreUrgentRefusal,
  systemErrorCode,
  isBindError,
} from './errors';
export type { ErrorCode, ErrorEntry } from './errors';
