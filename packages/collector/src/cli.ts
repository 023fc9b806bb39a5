import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorStack, formatDiagnostic, loadConfigFiles, safeEndpoint, type CollectorConfig } from '@sluice/core';
import { SluiceError } from '@sluice/pdata';
import { builtinComponents } from './components';
import { DEFAULT_CONFIG } from './default-config';
import { filesCommand, replayCommand } from './file-commands';
import { tuneHeapGrowth } from './heap-growth';
import { ConfigInvalidError, startCollector } from './start';
import { runWorker, startWorkers, workerCount, type RunningWorkers } from './workers';

const VERSION: string = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

/**
 * The exit code when the drain on shutdown was cut short: distinct from 1 (could not start, or the
 * shutdown itself failed) and 2 (usage), so a supervisor or script can tell data loss from a crash.
 */
const EXIT_RECORDS_LOST = 3;

const HELP = `sluice ${VERSION} — an OpenTelemetry-Collector-style logs pipeline

Usage:
  sluice [--config FILE]...            run the collector (no --config: the default pipeline,
                                       OTLP on 127.0.0.1:4317/4318 → ./data/logs.jsonl)
         [--workers N|auto]            ... as N pipeline processes sharing the ports
                                       (default: service.workers, 1; auto: one per core)
  sluice validate --config FILE...     check a config without starting anything (exit 0 or 1)
  sluice components                    list the built-in component types
  sluice replay FILE|DIR... --to URL   send OTLP/JSON files to an OTLP/HTTP base URL
  sluice replay FILE|DIR... --config FILE    ... or through that config's pipelines
  sluice files list --config FILE [--server S] [--json]
  sluice files wipe --config FILE [--server S] [--signal logs] [--yes]
                                       through the config's file_admin extension when it
                                       has one, or --admin URL; SLUICE_ADMIN_TOKEN: its token
  sluice --version | --help

Several --config files are merged in order; later files win.
Environment references: \${env:VAR}, \${env:VAR:-default}, \${VAR}.
`;

/** Runs the `sluice` command; resolves to the exit code (the collector's run resolves on shutdown). */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', multiple: true },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        to: { type: 'string' },
        server: { type: 'string' },
        signal: { type: 'string' },
        json: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        admin: { type: 'string' },
        workers: { type: 'string', short: 'w' },
      },
    });
  } catch (err) {
    process.stderr.write(`sluice: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`sluice ${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  const configFiles = values.config ?? [];
  switch (command) {
    case 'run':
      return run(configFiles, values.workers);
    case 'validate':
      return validate(configFiles);
    case 'components':
      return components();
    case 'replay':
      return replayCommand(positionals.slice(1), { ...values, config: configFiles });
    case 'files':
      return filesCommand(positionals[1], { ...values, config: configFiles });
    default:
      process.stderr.write(`sluice: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

function validate(configFiles: string[]): number {
  if (configFiles.length === 0) {
    process.stderr.write('sluice validate: give the config to check with --config FILE\n');
    return 2;
  }
  const result = loadConfigFiles(configFiles, builtinComponents());
  for (const diagnostic of result.diagnostics) process.stderr.write(formatDiagnostic(diagnostic) + '\n');
  if (!result.config) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    process.stderr.write(`${configFiles.join(', ')}: ${errors} error${errors === 1 ? '' : 's'}\n`);
    return 1;
  }
  process.stdout.write(`${configFiles.join(', ')}: valid\n`);
  return 0;
}

function components(): number {
  const registry = builtinComponents();
  for (const kind of ['receiver', 'processor', 'exporter', 'connector', 'extension'] as const) {
    process.stdout.write(`${kind}s:\n`);
    for (const type of registry.types(kind)) {
      const factory = registry.get(kind, type)!;
      const alias = factory.type !== type ? ` (alias of ${factory.type})` : '';
      process.stdout.write(`  ${type.padEnd(16)} ${factory.description}${alias}\n`);
    }
  }
  return 0;
}

async function run(configFiles: string[], workers: string | undefined): Promise<number> {
  const options = configFiles.length > 0 ? { configFiles } : { configText: DEFAULT_CONFIG };
  tuneHeapGrowth();
  if (cluster.isWorker) return runWorker(options);
  // Listening for signals before anything starts: a SIGTERM while receivers open (or just after
  // the banner) must drain what they accepted, not kill the process outright.
  let early: NodeJS.Signals | undefined;
  let onSignal = (signal: NodeJS.Signals) => void (early ??= signal);
  const listener = (signal: NodeJS.Signals) => onSignal(signal);
  process.on('SIGTERM', listener);
  process.on('SIGINT', listener);

  let collector: RunningWorkers;
  try {
    const count = workerCount(workers, options);
    collector = count > 1 ? await startWorkers(options, count) : await startCollector(options);
  } catch (err) {
    if (err instanceof ConfigInvalidError) {
      for (const diagnostic of err.diagnostics) process.stderr.write(formatDiagnostic(diagnostic) + '\n');
    } else {
      // A coded error says what to fix; anything else is a bug, and its stack says where.
      process.stderr.write(`sluice: ${err instanceof SluiceError ? err.message : errorStack(err)}\n`);
    }
    return 1;
  }
  process.stdout.write(banner(collector, configFiles));
  return new Promise<number>((resolve) => {
    let signalled = false;
    onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        process.stderr.write(`sluice: second ${signal}, exiting without waiting for queues to drain\n`);
        process.exit(1);
      }
      signalled = true;
      const timeout = collector.config.service.shutdownTimeoutMs / 1000;
      process.stderr.write(`sluice: ${signal} received, draining (up to ${timeout}s)\n`);
      collector.shutdown().then(
        ({ lostRecords, late }) => {
          if (lostRecords === 0 && late.length === 0) {
            process.stderr.write('sluice: stopped\n');
            return resolve(0);
          }
          const still = late.length > 0 ? `; still stopping: ${late.join(', ')}` : '';
          process.stderr.write(
            `sluice: warning: the drain did not finish within service.shutdown_timeout (${timeout}s): ` +
              `${lostRecords} log records left in memory queues were lost${still}\n`,
          );
          resolve(EXIT_RECORDS_LOST);
        },
        (err: unknown) => {
          process.stderr.write(`sluice: the shutdown failed: ${errorStack(err)}\n`);
          resolve(1);
        },
      );
    };
    if (early) onSignal(early);
  });
}

function banner(collector: RunningWorkers, configFiles: string[]): string {
  const lines = [`sluice ${VERSION} running (${configFiles.length > 0 ? configFiles.join(', ') : 'default pipeline'})`];
  for (const [label, address] of Object.entries(collector.endpoints)) {
    lines.push(`  ${label.padEnd(22)} ${describeEndpoint(label, address, collector.config)}`);
  }
  for (const line of describeExporters(collector.config)) lines.push(line);
  return lines.join('\n') + '\n';
}

/** A URL a user can copy: https:// where the listener serves TLS (a plain request there gets a reset). */
function describeEndpoint(label: string, address: string, config: CollectorConfig): string {
  if (label.endsWith('/http')) {
    const tls = servesTls(config, label.slice(0, -'/http'.length), 'http');
    return `${tls ? 'https' : 'http'}://${address}/v1/logs  (OTLP/HTTP${tls ? ' over TLS' : ''})`;
  }
  if (label.endsWith('/grpc'))
    return `${address}  (OTLP/gRPC${servesTls(config, label.slice(0, -'/grpc'.length), 'grpc') ? ' over TLS' : ''})`;
  if (label === 'metrics') return `http://${address}/metrics`;
  return `http://${address}/`;
}

/** Whether receiver `id`'s `protocols.<protocol>` has a `tls` block (otelcol's layout for network receivers). */
function servesTls(config: CollectorConfig, id: string, protocol: 'http' | 'grpc'): boolean {
  const settings = config.receivers.get(id)?.config as { protocols?: Record<string, { tls?: unknown } | undefined> } | undefined;
  return settings?.protocols?.[protocol]?.tls !== undefined;
}

function describeExporters(config: CollectorConfig): string[] {
  const lines: string[] = [];
  for (const [id, entry] of config.exporters) {
    const settings = entry.config as { path?: string; endpoint?: string };
    const target = settings.path ?? (settings.endpoint === undefined ? 'stderr' : safeEndpoint(settings.endpoint));
    lines.push(`  logs → ${id.padEnd(15)} ${target}${entry.optional ? '  (optional)' : ''}`);
  }
  return lines;
}
