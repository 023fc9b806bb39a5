/**
 * The `k8s` resolver: the backends are the ready addresses of a Service's EndpointSlices, times
 * the configured ports, followed through the Kubernetes API (a list, then a watch from its
 * resourceVersion; a watch that ends or fails is followed by a fresh list). In a pod it uses the
 * in-cluster API server with the service account's token and CA; `api_server` points elsewhere
 * (a `kubectl proxy`, a test's fake). An unreachable API keeps the last known set.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '@sluice/pdata';
import type { Logger } from '@sluice/core';
import { backendEndpoint, endpointSet, sameEndpoints, type Resolver } from './resolver';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Between a watch that ended and the next list, and after a failed one. */
const RELIST_DELAY_MS = 1000;
/**
 * How long the API server is asked to keep a watch open (client-go's range). A stream silent for
 * longer than that and a margin is dead (an API server gone without a FIN): it is dropped.
 */
const WATCH_TIMEOUT_S = 300;
const WATCH_IDLE_MS = (WATCH_TIMEOUT_S + 30) * 1000;

interface EndpointSlice {
  metadata: { name: string; resourceVersion?: string };
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean | null } }> | null;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: EndpointSlice & { metadata: { resourceVersion?: string }; code?: number; message?: string };
}

export interface K8sResolverOptions {
  /** `name` or `name.namespace`. */
  service: string;
  ports: readonly number[];
  timeoutMs: number;
  apiServer?: string;
  logger: Logger;
}

export class K8sResolver implements Resolver {
  private readonly slices = new Map<string, string[]>();
  private current: string[] = [];
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly name: string;
  private readonly namespace: string;
  private readonly apiServer: URL;
  private readonly inCluster: boolean;

  constructor(private readonly options: K8sResolverOptions) {
    const dot = options.service.indexOf('.');
    this.inCluster = options.apiServer === undefined;
    this.name = dot < 0 ? options.service : options.service.slice(0, dot);
    this.namespace = dot < 0 ? this.ownNamespace() : options.service.slice(dot + 1).split('.')[0]!;
    this.apiServer = new URL(options.apiServer ?? inClusterApiServer());
  }

  async start(onChange: (endpoints: readonly string[]) => void): Promise<void> {
    let resourceVersion: string | undefined;
    try {
      resourceVersion = await this.list(onChange);
    } catch (err) {
      this.warn('cannot list the EndpointSlices of the service; retrying', err);
    }
    this.loop = this.follow(onChange, resourceVersion);
  }

  async shutdown(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  private async follow(onChange: (endpoints: readonly string[]) => void, first: string | undefined): Promise<void> {
    let resourceVersion = first;
    while (!this.stop.signal.aborted) {
      try {
        resourceVersion ??= await this.list(onChange);
        await this.watch(resourceVersion, onChange);
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.warn('the EndpointSlice watch failed; listing again', err);
      }
      resourceVersion = undefined;
      await sleep(RELIST_DELAY_MS, undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
  }

  private path(watch: string | undefined): string {
    const query = new URLSearchParams({ labelSelector: `kubernetes.io/service-name=${this.name}` });
    if (watch !== undefined) {
      query.set('watch', 'true');
      query.set('resourceVersion', watch);
      query.set('allowWatchBookmarks', 'true');
      query.set('timeoutSeconds', String(WATCH_TIMEOUT_S));
    }
    return `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/endpointslices?${query.toString()}`;
  }

  /** Lists the slices afresh and returns the list's resourceVersion, to watch from. */
  private async list(onChange: (endpoints: readonly string[]) => void): Promise<string> {
    const response = await this.get(this.path(undefined), this.options.timeoutMs);
    let text = '';
    for await (const chunk of response) text += String(chunk);
    const list = JSON.parse(text) as { metadata?: { resourceVersion?: string }; items?: EndpointSlice[] };
    this.slices.clear();
    for (const slice of list.items ?? []) this.slices.set(slice.metadata.name, readyAddresses(slice));
    this.publish(onChange);
    return list.metadata?.resourceVersion ?? '0';
  }

  /** Follows the watch stream (one JSON event a line) until it ends. */
  private async watch(resourceVersion: string, onChange: (endpoints: readonly string[]) => void): Promise<void> {
    const response = await this.get(this.path(resourceVersion), WATCH_IDLE_MS);
    let buffered = '';
    for await (const chunk of response) {
      buffered += String(chunk);
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        const event = JSON.parse(line) as WatchEvent;
        // A watch too old to resume (410 Gone) says so in an ERROR event: list again.
        if (event.type === 'ERROR') throw new Error(`the watch ended: ${event.object.message ?? event.object.code ?? 'error'}`);
        if (event.type === 'BOOKMARK') continue;
        if (event.type === 'DELETED') this.slices.delete(event.object.metadata.name);
        else this.slices.set(event.object.metadata.name, readyAddresses(event.object));
        this.publish(onChange);
      }
    }
  }

  private publish(onChange: (endpoints: readonly string[]) => void): void {
    const next = endpointSet(
      [...this.slices.values()].flat().flatMap((address) => this.options.ports.map((port) => backendEndpoint(address, port))),
    );
    if (sameEndpoints(next, this.current)) return;
    this.current = next;
    onChange(next);
  }

  /** A GET answered 200; `timeoutMs` bounds each silence on the socket, the response's included. */
  private get(path: string, timeoutMs: number): Promise<IncomingMessage> {
    const url = new URL(path, this.apiServer);
    const options: RequestOptions = { method: 'GET', signal: this.stop.signal, headers: { accept: 'application/json' } };
    options.timeout = timeoutMs;
    if (this.inCluster) {
      // Re-read each time: the kubelet rotates projected service account tokens.
      options.headers = { ...options.headers, authorization: `Bearer ${readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim()}` };
      (options as { ca?: Buffer }).ca = readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`);
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (response) => {
        if (response.statusCode === 200) return resolve(response);
        response.resume();
        reject(new Error(`GET ${url.pathname} answered ${response.statusCode}`));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  private ownNamespace(): string {
    if (!this.inCluster) return 'default';
    try {
      return readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim();
    } catch {
      return 'default';
    }
  }

  private warn(message: string, err: unknown): void {
    this.options.logger.warn(message, {
      service: `${this.name}.${this.namespace}`,
      backends: this.current.length,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Addresses of endpoints not marked unready (an unset `ready` means ready, as the API documents). */
function readyAddresses(slice: EndpointSlice): string[] {
  return (slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false).flatMap((endpoint) => endpoint.addresses);
}

function inClusterApiServer(): string {
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  const port = process.env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new SluiceError(
      'SLUICE_CONFIG_INVALID_VALUE',
      'the k8s resolver runs outside Kubernetes (KUBERNETES_SERVICE_HOST/PORT are not set): set resolver.k8s.api_server',
    );
  }
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
