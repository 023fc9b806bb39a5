import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SLUICE_BIN, exitOf } from './support/child-collector';
import { tempDir } from './support/collector';
import { otlpPipelineConfig } from './support/pipeline-config';

const HEAP_GROWTH = resolve(__dirname, '../../packages/collector/dist/src/heap-growth.js');

/** The growth factors V8 used for the old generation's limit, from --trace-gc-verbose output. */
function factors(trace: string): string[] {
  return [...trace.matchAll(/\[HeapController\] Limit: old size: \d+ KB, new limit: \d+ KB \(([\d.]+)\)/g)].map((m) => m[1]!);
}

// Long-lived objects, then short-lived ones and full collections: V8 sees a program that allocates
// little that lives, the case where it picks a growth factor near its minimum by itself (1.1,
// measured with the tuning removed; 40 rounds, so what the start allocated no longer counts).
const CHURN = `
  const keep = []; for (let i = 0; i < 2e5; i++) keep.push({ i, s: 'x' + i });
  for (let r = 0; r < 40; r++) { const junk = []; for (let i = 0; i < 2e5; i++) junk.push({ i }); gc(); }
`;

describe('collector: the old generation’s growth factor', function () {
  this.timeout(60_000);

  it('is fixed at 4 in V8 itself, unless the user chose one on the command line', () => {
    const run = (flags: string[]) =>
      spawnSync(
        process.execPath,
        [
          ...flags,
          '--trace-gc-verbose',
          '--expose-gc',
          '-e',
          `console.log('tuned=' + require(${JSON.stringify(HEAP_GROWTH)}).tuneHeapGrowth()); ${CHURN}`,
        ],
        { encoding: 'utf8' },
      );
    const tuned = run([]);
    assert.equal(tuned.status, 0, tuned.stderr);
    assert.match(tuned.stdout, /tuned=true/);
    const after = factors(tuned.stdout.slice(tuned.stdout.indexOf('tuned=')));
    assert.equal(after.at(-1), '4.0', `factors after the tuning: ${after.join(' ')}`);

    const untouched = run(['--heap-growing-percent=50']);
    assert.equal(untouched.status, 0, untouched.stderr);
    assert.match(untouched.stdout, /tuned=false/);
    assert.equal(factors(untouched.stdout).at(-1), '1.5', 'the user’s own factor stays');
  });

  it('is set by `sluice` before its pipeline runs', async () => {
    const tmp = await tempDir();
    try {
      const config = join(tmp.dir, 'config.yaml');
      await writeFile(config, otlpPipelineConfig({ jsonl: { path: join(tmp.dir, 'logs.jsonl') } }));
      // Once the banner is out, the churn above: V8 then prints the limits it set.
      const preload = join(tmp.dir, 'collect-after-banner.js');
      await writeFile(
        preload,
        `const write = process.stdout.write.bind(process.stdout);
         let done = false;
         process.stdout.write = (chunk, ...rest) => {
           const result = write(chunk, ...rest);
           if (!done && String(chunk).includes('running')) { done = true; setImmediate(() => { ${CHURN} write('collected\\n'); }); }
           return result;
         };`,
      );
      const child = spawn(process.execPath, ['--trace-gc-verbose', '--expose-gc', '-r', preload, SLUICE_BIN, '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = exitOf(child);
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', () => out.includes('collected\n') && done());
        void exited.then((code) => fail(new Error(`sluice exited (${code}) before the collection:\n${out.slice(-2000)}`)));
      });
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const after = factors(out.slice(out.indexOf('running')));
      assert.equal(after.at(-1), '4.0', `factors after the banner: ${after.join(' ')}`);
    } finally {
      await tmp.cleanup();
    }
  });
});
