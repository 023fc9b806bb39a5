export { startLokiTestServer } from './server';
export type {
  AcceptedPush,
  FailMode,
  FailOptions,
  LokiTestServer,
  LokiTestServerOptions,
  RequestRecord,
  StoredEntry,
  StoredStream,
} from './server';
export { parseLabelString, canonicalLabels, isValidLabelName, LabelsError } from './labels';
export { checkPushProto, decodePushProto, decodePushJson, DecodeError } from './push-decoder';
export type { DecodedEntry, DecodedStream, EntryShape, PushStream } from './push-decoder';
