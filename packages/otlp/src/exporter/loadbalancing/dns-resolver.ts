/**
 * The `dns` resolver: every backend is an address the hostname resolves to (a Kubernetes
 * headless Service lists one per ready pod), re-resolved every `interval`. A failed lookup keeps
 * the last known set: a DNS hiccup must not empty the ring.
 */
import { lookup } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@sluice/core';
import { backendEndpoint, endpointSet, sameEndpoints, type Resolver } from './resolver';

/** The addresses a hostname resolves to. Injectable, so tests can change the answer. */
export type LookupAll = (hostname: string) => Promise<string[]>;

export const systemLookupAll: LookupAll = async (hostname) => (await lookup(hostname, { all: true })).map((entry) => entry.address);

export interface DnsResolverOptions {
  hostname: string;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
  lookupAll?: LookupAll;
}

export class DnsResolver implements Resolver {
  private current: string[] = [];
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly lookupAll: LookupAll;

  constructor(private readonly options: DnsResolverOptions) {
    this.lookupAll = options.lookupAll ?? systemLookupAll;
  }

  async start(onChange: (endpoints: readonly string[]) => void): Promise<void> {
    await this.resolve(onChange);
    this.loop = this.follow(onChange);
  }

  private async follow(onChange: (endpoints: readonly string[]) => void): Promise<void> {
    for (;;) {
      try {
        await sleep(this.options.intervalMs, undefined, { signal: this.stop.signal });
      } catch {
        return;
      }
      await this.resolve(onChange);
    }
  }

  private async resolve(onChange: (endpoints: readonly string[]) => void): Promise<void> {
    const { hostname, port, timeoutMs, logger } = this.options;
    let timeout: NodeJS.Timeout | undefined;
    try {
      const addresses = await Promise.race([
        this.lookupAll(hostname),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      const next = endpointSet(addresses.map((address) => backendEndpoint(address, port)));
      if (this.stop.signal.aborted || sameEndpoints(next, this.current)) return;
      this.current = next;
      onChange(next);
    } catch (err) {
      logger.warn('cannot resolve the load balancer backends; keeping the last known set', {
        hostname,
        backends: this.current.length,
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      clearTimeout(timeout);
    }
  }

  async shutdown(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }
}
