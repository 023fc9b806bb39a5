import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ChildResult {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type OnStdout = (text: string, kill: (signal: NodeJS.Signals) => void) => void;

/** Runs a compiled fixture (dist/test/fixtures/<name>.js) with extra env (and cwd); `onStdout` sees output as it comes. */
export function runFixture(name: string, env: Record<string, string>, onStdout?: OnStdout, cwd?: string): Promise<ChildResult> {
  return runScript(join(__dirname, '..', 'fixtures', `${name}.js`), env, onStdout, cwd);
}

/** Runs a JavaScript file in a child Node process. */
export function runScript(file: string, env: Record<string, string>, onStdout?: OnStdout, cwd?: string): Promise<ChildResult> {
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ pid: child.pid!, code, signal, stdout, stderr })));
}
