/**
 * deploy/kubernetes: every manifest validates against the Kubernetes OpenAPI schemas (the npm
 * package `kubernetes-models`, which bundles them and validates each object), every workload runs
 * non-root with a read-only root filesystem, no capabilities, probes on the health endpoint and
 * resource requests and limits, and every config a ConfigMap carries passes `sluice validate`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runSluice } from './support/child-collector';
import { tempDir } from './support/collector';

const ROOT = resolve(__dirname, '../../deploy/kubernetes');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return name.endsWith('.yaml') ? [path] : [];
  });
}

const files = yamlFiles(ROOT);
const objects = files
  .filter((file) => !file.endsWith('kustomization.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => ({ file: relative(ROOT, file), object: doc.toJS() as K8sObject })),
  );
const workloads = objects.filter(({ object }) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(object.kind));

/** `apps/v1` → `apps`, `rbac.authorization.k8s.io/v1` → `rbacAuthorizationK8sIo`, `v1` → core: kubernetes-models' export names. */
function modelGroup(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  const group = apiVersion.slice(0, slash).replace(/\.([a-z])/g, (_, c: string) => c.toUpperCase());
  return { group, version: apiVersion.slice(slash + 1) };
}

interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean };
  containers: Array<{
    name: string;
    securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
    readinessProbe?: { httpGet?: { port: string | number } };
    livenessProbe?: { httpGet?: { port: string | number } };
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    ports?: Array<{ name: string; containerPort: number }>;
  }>;
  volumes?: Array<{ configMap?: { name: string } }>;
}

function podSpec(object: K8sObject): PodSpec {
  return (object['spec'] as { template: { spec: PodSpec } }).template.spec;
}

describe('deploy/kubernetes manifests', function () {
  this.timeout(60_000);

  it('validate against the Kubernetes OpenAPI schemas (kubernetes-models)', async () => {
    const models = (await import('kubernetes-models')) as unknown as Record<
      string,
      Record<string, Record<string, new (data: unknown) => { validate(): void }>>
    >;
    assert.ok(objects.length >= 10, `only ${objects.length} objects found`);
    for (const { file, object } of objects) {
      const { group, version } = modelGroup(object.apiVersion);
      const Model =
        group === ''
          ? (models[version] as unknown as Record<string, new (data: unknown) => { validate(): void }>)[object.kind]
          : models[group]?.[version]?.[object.kind];
      assert.ok(Model, `${file}: no schema for ${object.apiVersion} ${object.kind}`);
      assert.doesNotThrow(() => new Model(object).validate(), `${file}: ${object.kind} ${object.metadata.name}`);
    }
  });

  it('the schema check rejects a broken manifest (it can fail)', async () => {
    const { Deployment } = (await import('kubernetes-models/apps/v1')) as unknown as {
      Deployment: new (data: unknown) => { validate(): void };
    };
    const gateway = objects.find(({ object }) => object.kind === 'Deployment')!.object;
    const broken = structuredClone(gateway) as unknown as { spec: Record<string, unknown> };
    broken.spec['replicas'] = 'three';
    assert.doesNotThrow(() => new Deployment(gateway).validate());
    assert.throws(() => new Deployment(broken).validate());
  });

  it('lists in each kustomization only files that exist', () => {
    for (const file of files.filter((f) => f.endsWith('kustomization.yaml'))) {
      const kustomization = parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as { resources: string[] };
      for (const resource of kustomization.resources) {
        assert.ok(statSync(resolve(file, '..', resource), { throwIfNoEntry: false }), `${relative(ROOT, file)}: ${resource} is missing`);
      }
    }
  });

  it('run every workload non-root, read-only, without capabilities, with probes, resources and scrape annotations', () => {
    assert.deepEqual(new Set(workloads.map(({ object }) => object.kind)), new Set(['Deployment', 'DaemonSet', 'StatefulSet']));
    for (const { file, object } of workloads) {
      const spec = podSpec(object);
      const where = `${file}: ${object.kind} ${object.metadata.name}`;
      assert.equal(spec.securityContext?.runAsNonRoot, true, where);
      const annotations = (object['spec'] as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata
        .annotations;
      assert.equal(annotations?.['prometheus.io/scrape'], 'true', where);
      for (const container of spec.containers) {
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, where);
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, where);
        assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], where);
        const health = container.ports?.find((port) => port.name === 'health');
        assert.equal(health?.containerPort, 13133, where);
        assert.equal(container.readinessProbe?.httpGet?.port, 'health', where);
        assert.equal(container.livenessProbe?.httpGet?.port, 'health', where);
        for (const kind of ['requests', 'limits'] as const) {
          assert.ok(container.resources?.[kind]?.['cpu'] && container.resources[kind]['memory'], `${where}: resources.${kind}`);
        }
      }
    }
  });

  it('mount only ConfigMaps that exist, and every config they carry passes `sluice validate`', async () => {
    const tmp = await tempDir();
    try {
      const configMaps = new Map(
        objects.filter(({ object }) => object.kind === 'ConfigMap').map(({ object }) => [object.metadata.name, object]),
      );
      const mounted = new Set(
        workloads.flatMap(({ object }) => (podSpec(object).volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : []))),
      );
      assert.ok(mounted.size >= 3);
      for (const name of mounted) {
        const configMap = configMaps.get(name);
        assert.ok(configMap, `ConfigMap ${name} is mounted but not defined`);
        for (const [key, text] of Object.entries(configMap['data'] as Record<string, string>)) {
          const path = join(tmp.dir, `${name}-${key}`);
          await writeFile(path, text);
          const run = await runSluice(['validate', '--config', path], { SLUICE_TOKEN: 'validate-only' });
          assert.equal(run.code, 0, `${name}/${key}: ${run.stdout}${run.stderr}`);
        }
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
