import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const SLUICE_BIN = resolve(__dirname, '../../../packages/collector/bin/sluice.js');

export interface ChildCollector {
  child: ChildProcess;
  /** Bound addresses from the startup banner, by label (`otlp/http`, `otlp/grpc`, `metrics`, ...). */
  endpoints: Record<string, string>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Runs `sluice --config <file>` as a child process and waits for its startup banner. */
export async function spawnCollector(configFiles: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildCollector> {
  const args = [SLUICE_BIN, ...configFiles.flatMap((f) => ['--config', f])];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolveExit) => child.once('exit', (code, signal) => resolveExit(code ?? signal ?? -1)));
  const endpoints = await new Promise<Record<string, string>>((resolveBanner, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start in 15s\nstdout: ${out}\nstderr: ${err}`)), 15_000);
    const check = () => {
      if (!/ running \(/.test(out) || !out.includes('logs →')) return;
      clearTimeout(timer);
      const found: Record<string, string> = {};
      for (const match of out.matchAll(/^ {2}(\S+)\s+(?:http:\/\/)?([^\s/]+)/gm)) found[match[1]!] = match[2]!;
      resolveBanner(found);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited (${code}) before starting\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return { child, endpoints, stdout: () => out, stderr: () => err, exited };
}
