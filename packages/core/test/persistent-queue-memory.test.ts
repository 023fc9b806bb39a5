import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MIB = 1024 * 1024;
const BACKLOG_BYTES = 1024 * MIB;
const RSS_BUDGET_BYTES = 256 * MIB;
const READS = 5;

/** Runs one phase of the child and returns the JSON lines it printed. */
async function runPhase(args: string[]): Promise<Array<Record<string, unknown>>> {
  const child = spawn(process.execPath, [path.join(__dirname, 'persistent-queue-memory-child.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `child ${args[0]} failed: ${stderr}`);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const mib = (bytes: unknown) => `${((bytes as number) / MIB).toFixed(0)} MiB`;

describe('persistent queue memory', () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps RSS under 256 MiB with a 1 GiB backlog on disk: writing it, recovering it, reading from it', async function () {
    const stats = await fs.statfs(os.tmpdir());
    const free = stats.bavail * stats.bsize;
    if (free < 1.2 * BACKLOG_BYTES) {
      console.log(`      skipped: ${os.tmpdir()} has ${mib(free)} free, and the test needs 1.2 GiB`);
      this.skip();
    }
    this.timeout(15 * 60_000); // the bound is on memory; a busy disk only makes it slow
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-queue-memory-'));

    const [written] = await runPhase(['write', dir, String(BACKLOG_BYTES)]);
    const [recovered, read] = await runPhase(['recover', dir, String(READS)]);
    console.log(
      `      peak RSS: write ${mib(written!.peak_rss)}, recover ${mib(recovered!.peak_rss)}, ` +
        `recover + ${READS} reads ${mib(read!.peak_rss)} (${written!.batches as number} batches of 1 MiB)`,
    );

    assert.equal(recovered!.batches, written!.batches, 'every batch written is recovered');
    const received = read!.received as Array<{ batch: number; bodyBytes: number }>;
    assert.equal(received.length, READS);
    for (const { bodyBytes } of received) assert.ok(bodyBytes >= MIB, `a batch read back whole (${bodyBytes} bytes of body)`);
    for (const phase of [written!, recovered!, read!]) {
      assert.ok((phase.peak_rss as number) < RSS_BUDGET_BYTES, `${phase.phase as string}: peak RSS ${mib(phase.peak_rss)}`);
    }
  });
});
