import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCollector, type ChildCollector } from '../support/child-collector';
import { repoPath } from './repo';

/**
 * Runs configs/docker.yaml as the image would, with what only a container can have swapped for a
 * test's: every endpoint on 127.0.0.1 port 0, data under `dir`, Loki at a closed local port.
 */
export async function startDockerConfig(dir: string): Promise<ChildCollector> {
  const override = join(dir, 'test-override.yaml');
  await writeFile(
    override,
    `extensions:
  health_check: { endpoint: "127.0.0.1:0" }
  file_storage: { directory: ${JSON.stringify(join(dir, 'queue'))} }
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0" }
exporters:
  loki: { endpoint: "http://127.0.0.1:9/loki/api/v1/push" }
  jsonl: { path: ${JSON.stringify(join(dir, 'logs.jsonl'))} }
  prometheus: { endpoint: "127.0.0.1:0" }
service:
  telemetry:
    metrics:
      readers:
        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } }
`,
  );
  return spawnCollector([repoPath('configs', 'docker.yaml'), override], { SLUICE_TOKEN: 'deploy-test-token' });
}
