/**
 * `sluice replay` and `sluice files list|wipe`: one-shot work on the files jsonl exporters write.
 * Replay sends through the OTLP/HTTP exporter (`--to URL`) or through a config's processors and
 * exporters (`--config FILE`, its receivers replaced by the files); list and wipe act on the
 * files of a config's jsonl exporters, through the running collector's file_admin extension when
 * there is one (`--admin URL`, or the config's), so a wipe cannot interleave with its writes.
 */
import { createInterface } from 'node:readline/promises';
import { z } from 'zod';
import {
  Service,
  Telemetry,
  createLogger,
  formatDiagnostic,
  isClientAuthenticator,
  loadConfigFiles,
  parseHostPort,
  type CollectorConfig,
  type Exporter,
  type Logger,
  type LogsConsumer,
  type ServiceGraphConfig,
} from '@sluice/core';
import {
  JsonFileReader,
  checkSignal,
  expandGlobs,
  fileListJson,
  findFileGroups,
  inventory,
  removeFiles,
  type FileAdminConfig,
  type FileListRow,
  type FileSelector,
  type JsonlConfig,
} from '@sluice/file';
import { createOtlpHttpExporter, otlpHttpExporterSchema } from '@sluice/otlp';
import { SluiceError } from '@sluice/pdata';
import { builtinComponents } from './components';

export interface FileCommandOptions {
  config: string[];
  to?: string;
  server?: string;
  signal?: string;
  json?: boolean;
  yes?: boolean;
  /** The file_admin extension's base URL, e.g. `http://127.0.0.1:13134`. */
  admin?: string;
}

/** The receiver id the replayed files stand in for, in a `--config` replay. */
const REPLAY_RECEIVER = 'sluice_replay';

export async function replayCommand(inputs: string[], options: FileCommandOptions): Promise<number> {
  if (inputs.length === 0 || (options.to === undefined) === (options.config.length === 0)) {
    process.stderr.write('sluice replay: give FILE|DIR... and either --to URL (OTLP/HTTP) or --config FILE\n');
    return 2;
  }
  const logger = createLogger({ level: 'warn' });
  let files: string[];
  try {
    files = await replayFiles(inputs);
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err;
    process.stderr.write(`sluice replay: ${err.message}\n`);
    return 2;
  }
  const target = options.to !== undefined ? await httpTarget(options.to, logger) : await configTarget(options.config, logger);
  if (!target) return 1;
  const progress = new Progress(files.length);
  const reader = new JsonFileReader({
    consumer: target.consumer,
    logger,
    onLine: (file, records, skipped) => progress.update(file, records, skipped),
  });
  const started = process.hrtime.bigint();
  let failed: unknown;
  try {
    await reader.read(files, { final: true });
  } catch (err) {
    failed = err;
  } finally {
    await target.stop();
    progress.done();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { records, skipped, corruptFiles } = reader.totals;
  const corrupt = corruptFiles > 0 ? `${corruptFiles} corrupt compressed file${corruptFiles === 1 ? '' : 's'} skipped, ` : '';
  process.stdout.write(
    `replayed ${records} records from ${files.length} file${files.length === 1 ? '' : 's'}, ` +
      `${skipped} malformed line${skipped === 1 ? '' : 's'} skipped, ${corrupt}in ${seconds.toFixed(1)}s\n`,
  );
  if (failed) {
    process.stderr.write(`sluice replay: stopped: ${(failed as Error).message}\n`);
    return 1;
  }
  return 0;
}

/** Files as given, directories as every file under them (not unfinished `.tmp` compressions). */
async function replayFiles(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const found = await expandGlobs([input, `${input.replace(/\/+$/, '')}/**`], ['**/*.tmp']);
    if (found.length === 0) throw new SluiceError('SLUICE_CONFIG_READ', `${input}: no such file or directory, or nothing in it`);
    files.push(...found);
  }
  return files;
}

interface ReplayTarget {
  consumer: LogsConsumer;
  /** Delivers what is still pending and stops. */
  stop(): Promise<void>;
}

const REPLAY_RETRY_LIMIT = '30s';

async function httpTarget(url: string, logger: Logger): Promise<ReplayTarget | undefined> {
  // No sending queue: each batch is acknowledged (after retries) before the next is read. Retries
  // ride out a collector restart but give up within REPLAY_RETRY_LIMIT, so a wrong or dead URL ends
  // the replay with an error instead of five silent minutes.
  const parsed = otlpHttpExporterSchema.safeParse({
    endpoint: url,
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '1s', max_interval: '5s', max_elapsed_time: REPLAY_RETRY_LIMIT },
  });
  if (!parsed.success) {
    process.stderr.write(`sluice replay: --to ${url}: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
    return undefined;
  }
  const exporter: Exporter = createOtlpHttpExporter(
    { id: 'otlphttp/replay', kind: 'exporter', logger, telemetry: new Telemetry() },
    parsed.data,
  );
  await exporter.start({ getExtension: () => undefined, getExporters: () => new Map() });
  return { consumer: exporter, stop: () => exporter.shutdown() };
}

/** The config's pipelines with their receivers replaced by the files, and no extension that listens. */
async function configTarget(configFiles: string[], logger: Logger): Promise<ReplayTarget | undefined> {
  const entries: LogsConsumer[] = [];
  const registry = builtinComponents();
  const loaded = loadConfigFiles(configFiles, registry);
  for (const diagnostic of loaded.diagnostics) process.stderr.write(formatDiagnostic(diagnostic) + '\n');
  if (!loaded.config) return undefined;
  const config = loaded.config;
  const replayReceiver = {
    id: REPLAY_RECEIVER,
    config: {},
    factory: {
      kind: 'receiver' as const,
      type: REPLAY_RECEIVER,
      description: 'the files of `sluice replay`',
      configSchema: z.object({}),
      create: (_settings: unknown, _config: unknown, next: LogsConsumer) => {
        entries.push(next);
        return { start: () => Promise.resolve(), shutdown: () => Promise.resolve() };
      },
    },
  };
  const keptExtensions = config.service.extensions.filter(
    (id) => (config.extensions.get(id)?.factory as { provides?: unknown[] }).provides,
  );
  const graph: ServiceGraphConfig = {
    receivers: new Map([[REPLAY_RECEIVER, replayReceiver]]),
    processors: config.processors,
    exporters: config.exporters,
    extensions: config.extensions,
    service: {
      extensions: keptExtensions,
      pipelines: config.service.pipelines.map((p) => ({ ...p, receivers: [REPLAY_RECEIVER] })),
      shutdownTimeoutMs: config.service.shutdownTimeoutMs,
    },
  };
  const service = new Service(graph, logger, new Telemetry());
  await service.start();
  return {
    consumer: { consume: (logs, context) => entries[0]!.consume(logs, context) },
    stop: async () => void (await service.shutdown()),
  };
}

/** A one-line bar on stderr when it is a terminal; nothing otherwise (the summary says it all). */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly files = new Set<string>();
  private records = 0;
  private skipped = 0;
  private lastDraw = 0;

  constructor(private readonly total: number) {}

  update(file: string, records: number, skipped: boolean): void {
    this.files.add(file);
    this.records += records;
    if (skipped) this.skipped++;
    const now = Date.now();
    if (!this.tty || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((this.files.size / Math.max(1, this.total)) * width);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.files.size}/${this.total} files, ${this.records} records, ${this.skipped} skipped`,
    );
  }

  done(): void {
    if (this.tty && this.lastDraw > 0) process.stderr.write('\n');
  }
}

export async function filesCommand(action: string | undefined, options: FileCommandOptions): Promise<number> {
  if ((action !== 'list' && action !== 'wipe') || (options.config.length === 0 && options.admin === undefined)) {
    process.stderr.write('sluice files: use `files list|wipe --config FILE` or `files list|wipe --admin URL`\n');
    return 2;
  }
  let config: CollectorConfig | undefined;
  if (options.config.length > 0) {
    const loaded = loadConfigFiles(options.config, builtinComponents());
    for (const diagnostic of loaded.diagnostics) process.stderr.write(formatDiagnostic(diagnostic) + '\n');
    if (!loaded.config) return 1;
    config = loaded.config;
  }
  const selector: FileSelector = { server: options.server, signal: options.signal };
  try {
    checkSignal(selector.signal);
    const admin =
      options.admin !== undefined ? await adminEndpoint(options.admin, config, false) : config && (await configuredAdmin(config));
    if (admin) {
      const code =
        action === 'list'
          ? await adminList(admin, selector, options.json === true)
          : await adminWipe(admin, selector, options.yes === true);
      if (code !== undefined) return code;
      process.stderr.write(`sluice files: no collector answers at ${admin.url} (file_admin); working on the files directly\n`);
    }
    const exporters = jsonlExporters(config!);
    return action === 'list'
      ? await list(exporters, selector, options.json === true)
      : await wipe(exporters, selector, options.yes === true);
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err;
    process.stderr.write(`sluice files: ${err.message}\n`);
    return 2;
  }
}

function jsonlExporters(config: CollectorConfig): Array<[string, JsonlConfig]> {
  return [...config.exporters.values()].filter((e) => e.factory.type === 'jsonl').map((e) => [e.id, e.config as JsonlConfig]);
}

async function list(exporters: Array<[string, JsonlConfig]>, selector: FileSelector, json: boolean): Promise<number> {
  const rows: FileListRow[] = [];
  for (const [id, config] of exporters) for (const entry of await inventory(config, selector)) rows.push({ exporter: id, ...entry });
  printList(rows, json);
  return 0;
}

function printList(rows: readonly FileListRow[], json: boolean): void {
  if (json) return void process.stdout.write(fileListJson(rows));
  if (!process.stdout.isTTY) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  const table = [
    ['EXPORTER', 'SERVER', 'SIGNAL', 'SIZE', 'FILES', 'OLDEST', 'NEWEST', 'PATH'],
    ...rows.map((r) => [
      r.exporter,
      r.server || '-',
      r.signal,
      String(r.size_bytes),
      String(r.file_count),
      r.oldest ?? '-',
      r.newest ?? '-',
      r.path,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    process.stdout.write(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
}

async function wipe(exporters: Array<[string, JsonlConfig]>, selector: FileSelector, yes: boolean): Promise<number> {
  const plan = [];
  for (const [, config] of exporters) plan.push({ config, groups: await findFileGroups(config, selector) });
  const files = plan.reduce((n, p) => n + p.groups.reduce((m, g) => m + g.files.length, 0), 0);
  const refused = await confirm(files, yes);
  if (refused !== undefined) return refused;
  process.stderr.write(
    'sluice files wipe: removing on disk; a collector writing these files now can interleave with the wipe ' +
      '(configure the file_admin extension, or give --admin URL, to wipe through it)\n',
  );
  let removed = 0;
  for (const { config, groups } of plan) removed += await removeFiles(config, groups);
  printRemoved(removed);
  return 0;
}

/** Undefined to go ahead; the exit code when not confirmed. */
async function confirm(files: number, yes: boolean): Promise<number | undefined> {
  if (yes) return undefined;
  if (!process.stdin.isTTY) {
    process.stderr.write(`sluice files wipe: would remove ${files} files; add --yes to confirm\n`);
    return 2;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`remove ${files} files? [y/N] `);
  prompt.close();
  return /^y(es)?$/i.test(answer.trim()) ? undefined : 1;
}

function printRemoved(removed: number): void {
  process.stdout.write(`removed ${removed} file${removed === 1 ? '' : 's'}\n`);
}

interface AdminEndpoint {
  url: string;
  headers: Record<string, string>;
  /** Found in the config rather than given: when nobody answers there, the files are worked on directly. */
  fromConfig: boolean;
}

/**
 * The config's file_admin extension, if it lists one whose address a client can reach
 * (a wildcard bind is reached on loopback; port 0 cannot be known).
 */
async function configuredAdmin(config: CollectorConfig): Promise<AdminEndpoint | undefined> {
  const entry = config.service.extensions.map((id) => config.extensions.get(id)!).find((e) => e.factory.type === 'file_admin');
  if (!entry) return undefined;
  const { host, port } = parseHostPort((entry.config as FileAdminConfig).endpoint)!;
  if (port === 0) return undefined;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return adminEndpoint(`http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`, config, true);
}

/**
 * The credentials: `SLUICE_ADMIN_TOKEN` (a bearer token) when set, else what the config's
 * file_admin authenticator would add as a client (bearertokenauth's token or token file).
 */
async function adminEndpoint(url: string, config: CollectorConfig | undefined, fromConfig: boolean): Promise<AdminEndpoint> {
  const token = process.env.SLUICE_ADMIN_TOKEN;
  if (token) return { url, headers: { Authorization: `Bearer ${token}` }, fromConfig };
  const admin =
    config && [...config.extensions.values()].find((e) => e.factory.type === 'file_admin' && config.service.extensions.includes(e.id));
  const authId = (admin?.config as FileAdminConfig | undefined)?.auth?.authenticator;
  const auth = authId === undefined ? undefined : config!.extensions.get(authId);
  if (!auth || auth.factory.kind !== 'extension') return { url, headers: {}, fromConfig };
  const extension = auth.factory.create(
    { id: auth.id, kind: 'extension', logger: createLogger({ level: 'warn' }), telemetry: new Telemetry() },
    auth.config,
  );
  if (!isClientAuthenticator(extension)) return { url, headers: {}, fromConfig };
  await extension.start({ getExtension: () => undefined, getExporters: () => new Map() });
  try {
    return { url, headers: extension.headers(), fromConfig };
  } finally {
    await extension.shutdown();
  }
}

/** The answer, or undefined when nobody listens at an address taken from the config. */
async function adminRequest(admin: AdminEndpoint, method: string, path: string, selector: FileSelector): Promise<Response | undefined> {
  const url = new URL(path, admin.url);
  if (selector.server) url.searchParams.set('server', selector.server);
  if (selector.signal) url.searchParams.set('signal', selector.signal);
  try {
    return await fetch(url, { method, headers: admin.headers });
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (admin.fromConfig && code === 'ECONNREFUSED') return undefined;
    throw new SluiceError('SLUICE_CONFIG_INVALID_VALUE', `file_admin at ${admin.url}: ${code ?? (err as Error).message}`);
  }
}

/** Prints the extension's refusal; 2 for a bad request (as on disk), 1 otherwise. */
async function adminRefused(response: Response): Promise<number> {
  const text = await response.text();
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // not JSON: the text as it came
  }
  process.stderr.write(`sluice files: file_admin answered ${response.status}: ${message}\n`);
  return response.status === 400 ? 2 : 1;
}

async function adminRows(admin: AdminEndpoint, selector: FileSelector): Promise<FileListRow[] | number | undefined> {
  const response = await adminRequest(admin, 'GET', '/files', selector);
  if (!response) return undefined;
  if (response.status !== 200) return adminRefused(response);
  return (await response.json()) as FileListRow[];
}

async function adminList(admin: AdminEndpoint, selector: FileSelector, json: boolean): Promise<number | undefined> {
  const rows = await adminRows(admin, selector);
  if (rows === undefined || typeof rows === 'number') return rows;
  printList(rows, json);
  return 0;
}

async function adminWipe(admin: AdminEndpoint, selector: FileSelector, yes: boolean): Promise<number | undefined> {
  if (!yes) {
    const rows = await adminRows(admin, selector);
    if (rows === undefined || typeof rows === 'number') return rows;
    const refused = await confirm(
      rows.reduce((n, r) => n + r.file_count, 0),
      false,
    );
    if (refused !== undefined) return refused;
  }
  const response = await adminRequest(admin, 'DELETE', '/files', selector);
  if (!response) return undefined;
  if (response.status !== 200) return adminRefused(response);
  printRemoved(((await response.json()) as { removed: number }).removed);
  return 0;
}
