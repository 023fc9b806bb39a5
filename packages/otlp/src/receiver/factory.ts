import type { ReceiverFactory } from '@sluice/core';
import { otlpReceiverSchema, otlpReceiverUnsupportedKeys, type OtlpReceiverConfig } from './config';
import { OtlpReceiver } from './receiver';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  description: 'OTLP logs over gRPC (4317) and HTTP (4318), protobuf and JSON',
  configSchema: otlpReceiverSchema,
  unsupportedKeys: otlpReceiverUnsupportedKeys,
  create: (settings, config, next) => new OtlpReceiver(settings, config, next),
};
