import { hostname, userInfo } from 'node:os';
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { LogBridgeOptions } from './options';

type Attributes = Record<string, string | number | boolean>;

function processOwner(): Attributes {
  try {
    return { 'process.owner': userInfo().username };
  } catch {
    return {}; // no passwd entry for this uid (some containers): nothing to report
  }
}

/**
 * The resource every record carries. Precedence, lowest first: what the process knows about
 * itself, OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME, then explicit options.
 */
export function buildResource(options: LogBridgeOptions): Resource {
  const detected: Attributes = {
    'service.name': 'unknown_service:node',
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
    ...(options.includeProcessOwner ? processOwner() : {}),
  };
  const explicit: Attributes = { ...options.resourceAttributes };
  if (options.serviceName) explicit['service.name'] = options.serviceName;
  if (options.serviceVersion) explicit['service.version'] = options.serviceVersion;
  if (options.environment) explicit['deployment.environment.name'] = options.environment;
  return resourceFromAttributes(detected)
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes(explicit));
}
