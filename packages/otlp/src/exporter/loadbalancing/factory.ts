/** The `loadbalancing` exporter's factory: its resolver built from the config. */
import type { CreateSettings, ExporterFactory } from '@sluice/core';
import { loadBalancingExporterSchema, loadBalancingExporterUnsupportedKeys, type LoadBalancingExporterConfig } from './config';
import { DnsResolver, type LookupAll } from './dns-resolver';
import { K8sResolver } from './k8s-resolver';
import { LoadBalancingExporter } from './load-balancer';
import { StaticResolver, type Resolver } from './resolver';

export const loadBalancingExporterFactory: ExporterFactory<LoadBalancingExporterConfig> = {
  kind: 'exporter',
  type: 'loadbalancing',
  aliases: ['load_balancing'],
  description: 'Spreads logs over a tier of OTLP/gRPC gateways by service, resource or trace id (consistent hashing)',
  configSchema: loadBalancingExporterSchema,
  unsupportedKeys: loadBalancingExporterUnsupportedKeys,
  create: (settings, config) => createLoadBalancingExporter(settings, config),
};

/** `lookupAll` replaces the system resolver for the `dns` resolver (tests). */
export function createLoadBalancingExporter(
  settings: CreateSettings,
  config: LoadBalancingExporterConfig,
  lookupAll?: LookupAll,
): LoadBalancingExporter {
  return new LoadBalancingExporter(settings, config, createResolver(settings, config, lookupAll));
}

function createResolver(settings: CreateSettings, config: LoadBalancingExporterConfig, lookupAll: LookupAll | undefined): Resolver {
  const { static: fixed, dns, k8s } = config.resolver;
  const logger = settings.logger;
  if (dns) {
    return new DnsResolver({ hostname: dns.hostname, port: dns.port, intervalMs: dns.interval, timeoutMs: dns.timeout, logger, lookupAll });
  }
  if (k8s) return new K8sResolver({ service: k8s.service, ports: k8s.ports, timeoutMs: k8s.timeout, apiServer: k8s.api_server, logger });
  return new StaticResolver(fixed!.hostnames);
}
