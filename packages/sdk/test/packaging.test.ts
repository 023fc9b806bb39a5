import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runScript } from './helpers/child';
import { startTestCollector, type TestCollector } from './helpers/collector';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..', '..', '..');
/** The @sluice packages an app installs for the SDK: the SDK and what it depends on. */
const PACKED = ['packages/pdata', 'packages/sdk'];

/** Three apps as a user would write them, each against `@sluice/sdk` as installed from its tarball. */
const APPS: Record<string, string> = {
  'pino-app.js': `
    const pino = require('pino');
    const log = pino(pino.transport({ target: '@sluice/sdk/pino-transport', options: { serviceName: 'packed-pino', endpoint: process.env.ENDPOINT } }));
    log.info({ app: 'pino' }, 'from pino');`,
  'winston-app.js': `
    const winston = require('winston');
    const { startLogBridge } = require('@sluice/sdk');
    const bridge = startLogBridge({ serviceName: 'packed-winston', endpoint: process.env.ENDPOINT });
    winston.createLogger({ transports: [bridge.winstonTransport()] }).info('from winston', { app: 'winston' });`,
  'console-app.js': `
    const { startLogBridge } = require('@sluice/sdk');
    startLogBridge({ serviceName: 'packed-console', endpoint: process.env.ENDPOINT }).patchConsole();
    console.log('from console');`,
};

/** Why the registry cannot be used, or undefined when it answers. */
async function registryProblem(): Promise<string | undefined> {
  try {
    await run('npm', ['ping'], { timeout: 15_000 });
    return undefined;
  } catch (error) {
    return `the npm registry is unreachable (${(error as Error).message.split('\n')[0]})`;
  }
}

describe('the SDK installed from its package, outside the repository', function () {
  this.timeout(240_000);
  let app: string;
  let collector: TestCollector;

  before(async function () {
    const problem = await registryProblem();
    if (problem) {
      console.log(`    skipped: ${problem}; installing the packed SDK needs its dependencies from the registry`);
      this.skip();
    }
    app = await mkdtemp(join(tmpdir(), 'sluice-sdk-app-'));
    const packs = join(app, 'packs');
    await mkdir(packs);
    for (const dir of PACKED) await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packs, join(REPO, dir)], { cwd: app });
    const tarballs = (await readdir(packs)).map((name) => join(packs, name));
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'packed-app', private: true }));
    // pino and winston are the app's own; the SDK brings everything else from its tarball's dependencies.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, 'pino@10', 'winston@3'], { cwd: app });
    for (const [name, source] of Object.entries(APPS)) await writeFile(join(app, name), source);
    collector = await startTestCollector();
  });

  after(async () => {
    await collector?.stop();
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('pulls in no collector or core package', async () => {
    const { stdout } = await run('npm', ['ls', '--all', '--parseable'], { cwd: app });
    assert.match(stdout, /node_modules\/@sluice\/sdk$/m);
    assert.doesNotMatch(stdout, /@sluice\/(core|collector|otlp|loki|file|processors)$/m);
  });

  it('a pino app (worker transport), a winston app and a console app deliver their records', async () => {
    for (const name of Object.keys(APPS)) {
      const result = await runScript(join(app, name), { ENDPOINT: `http://${collector.grpc}` }, undefined, app);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    }
    const records = await collector.waitForRecords(3);
    const byService = new Map(records.map((r) => [r.resource?.['service.name'], r.body]));
    assert.deepEqual(Object.fromEntries(byService), {
      'packed-pino': 'from pino',
      'packed-winston': 'from winston',
      'packed-console': 'from console',
    });
  });
});
