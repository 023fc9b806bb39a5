/**
 * A resolver tells the load balancer which backends exist, as `host:port` endpoints, now and
 * whenever that changes. `static` lists them once; `dns` and `k8s` follow a changing set.
 */
import { parseHostPort } from '@sluice/core';
import { DEFAULT_BACKEND_PORT } from './config';

export interface Resolver {
  /** Resolves once the first set is known (possibly empty); `onChange` then gets every new set. */
  start(onChange: (endpoints: readonly string[]) => void): void | Promise<void>;
  shutdown(): void | Promise<void>;
}

/** `host:port`, with otelcol's default port for a host written without one; an IPv6 address in brackets. */
export function backendEndpoint(host: string, port = DEFAULT_BACKEND_PORT): string {
  if (parseHostPort(host)) return host;
  if (host.startsWith('[')) return `${host}:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Sorted and without duplicates, so that two sets compare equal whatever order they came in. */
export function endpointSet(endpoints: Iterable<string>): string[] {
  return [...new Set(endpoints)].sort();
}

export function sameEndpoints(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((endpoint, i) => endpoint === b[i]);
}

export class StaticResolver implements Resolver {
  constructor(private readonly hostnames: readonly string[]) {}

  start(onChange: (endpoints: readonly string[]) => void): void {
    onChange(endpointSet(this.hostnames.map((host) => backendEndpoint(host))));
  }

  shutdown(): void {}
}
