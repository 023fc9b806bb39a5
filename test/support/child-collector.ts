import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const SLUICE_BIN = resolve(__dirname, '../../../packages/collector/bin/sluice.js');

const execFileAsync = promisify(execFile);

export interface SluiceRun {
  /** The exit code; null when the run was killed (e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI to its end. A run still going after the timeout (a start that was not refused)
 * is killed; the test then fails on the exit code rather than hanging.
 */
export async function runSluice(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SluiceRun> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [SLUICE_BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as SluiceRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export interface ChildCollector {
  child: ChildProcess;
  /** Bound `host:port` from the startup banner, by label (`otlp/http`, `otlp/grpc`, `metrics`, `health_check`, ...). */
  endpoints: Record<string, string>;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr as they arrived, for assertion messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then the exit code (or signal name). Idempotent. */
  stop(): Promise<number | string>;
  /** SIGKILL if still running (test clean-up). */
  kill(): Promise<void>;
}

/** The exit code (or signal name) of a child process, also when it has already ended. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode!);
  return new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit(code ?? signal ?? -1)));
}

/** Runs `sluice --config <file> ... [extraArgs]` as a child process and waits for its startup banner. */
export async function spawnCollector(
  configFiles: string[],
  env: NodeJS.ProcessEnv = {},
  extraArgs: string[] = [],
): Promise<ChildCollector> {
  const args = [SLUICE_BIN, ...configFiles.flatMap((f) => ['--config', f]), ...extraArgs];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let all = '';
  child.stdout.on('data', (chunk: Buffer) => ((out += chunk.toString()), (all += chunk.toString())));
  child.stderr.on('data', (chunk: Buffer) => ((err += chunk.toString()), (all += chunk.toString())));
  const exited = exitOf(child);
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  let stopping: Promise<number | string> | undefined;
  const stop = () => {
    if (!stopping) {
      if (isRunning()) child.kill('SIGTERM');
      stopping = exited;
    }
    return stopping;
  };
  const kill = async () => {
    if (isRunning()) child.kill('SIGKILL');
    await exited;
  };
  const endpoints = await new Promise<Record<string, string>>((resolveBanner, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start in 15s\nstdout: ${out}\nstderr: ${err}`)), 15_000);
    const check = () => {
      if (!/ running \(/.test(out) || !out.includes('logs →')) return;
      clearTimeout(timer);
      const found: Record<string, string> = {};
      for (const match of out.matchAll(/^ {2}(\S+)\s+(?:https?:\/\/)?([^\s/]+)/gm)) found[match[1]!] = match[2]!;
      resolveBanner(found);
    };
    child.stdout.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited (${code}) before starting\nstdout: ${out}\nstderr: ${err}`));
    }, reject);
  });
  return { child, endpoints, stdout: () => out, stderr: () => err, output: () => all, exited, stop, kill };
}
