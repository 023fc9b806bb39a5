/**
 * Loki's push endpoint on core's HTTP push client, with the answer read as Loki means it: 2xx ok;
 * 429, 5xx and connection errors retryable (honouring Retry-After); every other 4xx permanent,
 * with Loki's own reason.
 */
import { HttpPushClient, type HttpEndpointOptions, type HttpPost } from '@sluice/core';

/** Core's endpoint options, with the push URL as a string and a default config path for errors. */
export type LokiClientOptions = Omit<HttpEndpointOptions, 'url' | 'where'> & {
  /** The push URL, e.g. http://127.0.0.1:3100/loki/api/v1/push */
  endpoint: string;
  /** The config path named in errors, e.g. `exporters.loki/eu`. */
  where?: string;
};

export function createLokiClient({ endpoint, where, ...options }: LokiClientOptions): HttpPushClient {
  return new HttpPushClient({
    ...options,
    url: new URL(endpoint),
    name: 'Loki',
    where: where ?? 'exporters.loki',
    retryableStatus: (status) => status === 429 || status >= 500,
  });
}

/** One push request's body for a tenant (X-Scope-OrgID; '' sends none). */
export function pushPost(body: Buffer, contentType: string, tenant: string, contentEncoding?: string): HttpPost {
  return {
    body,
    contentType,
    ...(contentEncoding ? { contentEncoding } : {}),
    ...(tenant !== '' ? { headers: { 'x-scope-orgid': tenant } } : {}),
  };
}
