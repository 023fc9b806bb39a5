import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SluiceError } from '@sluice/pdata';
import { isStorageExtension } from '../src/extensions/contracts';
import { fileStorageExtensionFactory } from '../src/extensions/file-storage';
import { hostWith, testSettings } from './exporterhelper-helpers';

describe('file_storage extension', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-storage-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const create = (config: Record<string, unknown>) =>
    fileStorageExtensionFactory.create(testSettings('file_storage').settings, fileStorageExtensionFactory.configSchema.parse(config));

  it('parses its config with defaults and requires a directory', () => {
    assert.deepEqual(fileStorageExtensionFactory.configSchema.parse({ directory: dir }), {
      directory: dir,
      create_directory: true,
      max_size_mib: 0,
      timeout: 1000,
      fsync: false,
    });
    assert.equal(fileStorageExtensionFactory.configSchema.safeParse({}).success, false);
    assert.equal(fileStorageExtensionFactory.configSchema.safeParse({ directory: '' }).success, false);
    assert.equal(fileStorageExtensionFactory.unsupportedKeys?.compaction?.effect, 'ignore');
  });

  it('creates the directory and gives each component its own subdirectory', async () => {
    const root = path.join(dir, 'nested', 'queue');
    const storage = create({ directory: root, max_size_mib: 2 });
    assert.ok(isStorageExtension(storage));
    await storage.start(hostWith());
    assert.equal(storage.maxSizeBytes, 2 * 1024 * 1024);
    const sub = await storage.directoryFor('exporter', 'loki/eu', 'logs');
    assert.equal(sub, path.join(root, 'exporter_loki_eu_logs'));
    assert.ok((await fs.stat(sub)).isDirectory());
    assert.equal(await storage.directoryFor('exporter', 'loki/eu', 'logs'), sub, 'stable across calls');
    await storage.shutdown();
  });

  it('refuses a missing directory when create_directory is false', async () => {
    const storage = create({ directory: path.join(dir, 'absent'), create_directory: false });
    await assert.rejects(
      storage.start(hostWith()),
      (err: SluiceError) => err.code === 'SLUICE_CONFIG_INVALID_VALUE' && /create_directory/.test(err.message),
    );
  });

  it('refuses a directory path that is a file', async () => {
    const file = path.join(dir, 'file');
    await fs.writeFile(file, 'x');
    await assert.rejects(create({ directory: file, create_directory: false }).start(hostWith()), SluiceError);
  });

  it('refuses, with a coded error, a directory that cannot be created (a file on its path)', async () => {
    const file = path.join(dir, 'file');
    await fs.writeFile(file, 'x');
    await assert.rejects(
      create({ directory: path.join(file, 'queue') }).start(hostWith()),
      (err: SluiceError) => err.code === 'SLUICE_CONFIG_INVALID_VALUE' && /ENOTDIR/.test(err.message),
    );
  });

  describe('checkStart (validation: the disk is not changed)', () => {
    const check = (config: Record<string, unknown>) =>
      fileStorageExtensionFactory.checkStart!(fileStorageExtensionFactory.configSchema.parse(config));

    it('accepts an existing writable directory, and a missing one under a writable ancestor without creating it', async () => {
      assert.deepEqual(check({ directory: dir }), []);
      const missing = path.join(dir, 'a', 'b');
      assert.deepEqual(check({ directory: missing }), []);
      await assert.rejects(fs.stat(path.join(dir, 'a')), /ENOENT/);
    });

    it('names the file that stands where a directory must be created', async () => {
      const file = path.join(dir, 'file');
      await fs.writeFile(file, 'x');
      assert.deepEqual(check({ directory: path.join(file, 'queue') }), [
        {
          path: ['directory'],
          code: 'SLUICE_CONFIG_INVALID_VALUE',
          message: `"${path.join(file, 'queue')}" cannot be created: "${file}" is not a directory`,
        },
      ]);
      assert.match(check({ directory: file })[0]!.message, /is not a directory/);
    });

    it('refuses a missing directory when create_directory is false', () => {
      assert.match(check({ directory: path.join(dir, 'absent'), create_directory: false })[0]!.message, /set create_directory: true/);
    });
  });
});
