/** Codes of the errors `startLogBridge` throws for options it cannot honour. */
export const SdkErrorCodes = {
  SLUICE_SDK_INSECURE_TOKEN: 'a bearer token would travel over a plaintext connection',
  SLUICE_SDK_TLS_FILE: 'a TLS file cannot be read',
  SLUICE_SDK_BAD_OPTION: 'an option has a value the bridge cannot use',
} as const;

export type SdkErrorCode = keyof typeof SdkErrorCodes;

/** A configuration error of the bridge; the message starts with its code. */
export class SdkConfigError extends Error {
  readonly code: SdkErrorCode;

  constructor(code: SdkErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'SdkConfigError';
    this.code = code;
  }
}
