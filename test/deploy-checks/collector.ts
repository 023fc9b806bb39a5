import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoPath } from './repo';

export const COLLECTOR_BIN = repoPath('packages', 'collector', 'bin', 'sluice.js');

export interface RunningCollector {
  /** Addresses from the start-up banner, by label: `metrics`, `health_check`, `otlp/grpc`, ... */
  addresses: Map<string, string>;
  output(): string;
  /** SIGTERM, then the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** SIGKILL if still running (test clean-up). */
  kill(): Promise<void>;
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Starts `sluice --config A --config B ...` and resolves once it has printed the addresses it bound. */
export function startCollector(configs: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCollector> {
  const args = [COLLECTOR_BIN, ...configs.flatMap((file) => ['--config', file])];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stopping: Promise<number | null> | undefined;
  const collector: RunningCollector = {
    addresses: new Map(),
    output: () => output,
    stop() {
      if (!stopping) {
        child.kill('SIGTERM');
        stopping = exited(child);
      }
      return stopping;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    },
  };
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (!/^sluice \S+ running/m.test(output) || collector.addresses.size > 0) return;
      for (const [, label, address] of output.matchAll(/^ {2}(\S+)\s+((?:https?:\/\/)?[\w.[\]-]+:\d+\S*)/gm)) {
        collector.addresses.set(label, address);
      }
      resolve(collector);
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code} before it was ready:\n${output}`)));
  });
}

/**
 * Runs configs/docker.yaml as the image would, with what only a container can have swapped for a
 * test's: every endpoint on 127.0.0.1 port 0, data under `dir`, Loki at a closed local port.
 */
export async function startDockerConfig(dir: string): Promise<RunningCollector> {
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
service:
  telemetry:
    metrics:
      readers:
        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } }
`,
  );
  return startCollector([repoPath('configs', 'docker.yaml'), override], { SLUICE_TOKEN: 'deploy-test-token' });
}
