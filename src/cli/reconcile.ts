import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import {
  DiscrepancyLog,
  detectFormat,
  formatSummary,
  localLedgerSource,
  parseBound,
  reconcileFile,
  RemoteError,
  remoteLedgerSource,
  type FileFormat,
  type LedgerSource,
  type Samples,
} from '../reconciliation';
import type { Environment } from '../nachocode/schemas';
import type { Runtime } from '../runtime';
import { resolveSecrets } from '../secrets';

// `iaphook reconcile`: compares an export with the ledger. Exit codes: 0 the file and the ledger agree, 1 discrepancies (for scheduled jobs), 2 the run
// itself failed (bad arguments, unreadable file, unreachable server).

interface Options {
  file: string;
  environment: Environment;
  ingest: boolean;
  json?: string;
  url?: string;
  token?: string;
  from?: number;
  to?: number;
  format?: FileFormat;
  show: number;
  progress: boolean;
  acknowledged: boolean;
}

class UsageError extends Error {}

const bound = (edge: 'from' | 'to') => (value: string) => {
  const ms = parseBound(value, edge);
  if (ms === undefined) throw new InvalidArgumentError('expected a date (2026-03-01) or an ISO date-time');
  return ms;
};

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

interface Ledger {
  source: LedgerSource;
  /** Local mode: applies imported events now, as the server's worker would. */
  settle(): Promise<boolean | null>;
  close(): Promise<void>;
}

/** The database of DATABASE_URL or DATABASE_PATH, wired exactly as the server wires it (same receiver, same worker). */
async function openLocal(): Promise<Ledger> {
  const config = loadConfig();
  const { database } = config;
  if (database.backend === 'sqlite' && !fs.existsSync(database.path)) {
    throw new UsageError(`no database at ${database.path}: set DATABASE_PATH or DATABASE_URL, or use --url`);
  }
  // Logs go to stderr so stdout carries only the summary.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  // Loaded here: the other commands (and --help) need none of the storage code.
  const { buildRuntime } = await import('../runtime');
  const runtime: Runtime = await buildRuntime(resolveSecrets(config).config, { logger, startWorker: false, defaultMetrics: false });
  const label = database.backend === 'sqlite' ? `local database ${database.path}` : 'the PostgreSQL database of DATABASE_URL';
  return {
    source: localLedgerSource(runtime.storage.read, runtime.importReceive, label, { settings: config.reconciliation, now: () => Date.now() }),
    settle: async () => {
      const worker = runtime.worker as NonNullable<Runtime['worker']>;
      worker.start();
      await worker.whenIdle();
      return true;
    },
    close: () => runtime.close(),
  };
}

function openRemote(url: string, token: string): Ledger {
  const source = remoteLedgerSource(url, token);
  return { source, settle: async () => null, close: async () => source.close?.() };
}

function progressBar(file: string, enabled: boolean): { onBytes?(n: number): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { stop: () => undefined };
  const total = Math.max(1, fs.statSync(file).size);
  const bar = new SingleBar({ format: 'reconciling {bar} {percentage}% | {mb} of {totalMb} MB', hideCursor: true, stream: process.stderr });
  const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
  let read = 0;
  bar.start(total, 0, { mb: '0.0', totalMb: mb(total) });
  return {
    onBytes: (n) => {
      read += n;
      bar.update(Math.min(read, total), { mb: mb(read) });
    },
    stop: () => bar.stop(),
  };
}

async function run(options: Options): Promise<number> {
  const started = performance.now();
  if (!fs.existsSync(options.file)) throw new UsageError(`no file at ${options.file}`);
  const format = options.format ?? detectFormat(options.file);
  if (format === null) throw new UsageError('cannot tell the format from the extension: pass --format csv, jsonl or json');
  if ((options.url === undefined) !== (options.token === undefined)) throw new UsageError('--url and --token go together');
  const spoolDir = options.json === undefined ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-reconcile-report-'));
  const log = new DiscrepancyLog({ sampleLimit: options.show, spoolDir });
  const ledger = options.url !== undefined ? openRemote(options.url, options.token!) : await openLocal();
  const bar = progressBar(options.file, options.progress);
  try {
    const summary = await reconcileFile({
      file: options.file,
      format,
      environment: options.environment,
      source: ledger.source,
      log,
      ingest: options.ingest,
      range: { from: options.from, to: options.to },
      onBytes: bar.onBytes,
    });
    bar.stop();
    const applied = options.ingest && summary.ingest!.stored > 0 ? await ledger.settle() : null;
    // After the import: a rejected request whose event was just imported is no longer listed.
    const report = await ledger.source.report?.({
      environment: options.environment,
      perCodeLimit: Math.max(1, options.show),
      includeAcknowledged: options.acknowledged,
    });
    const anomalies = report === undefined ? null : { open: report.anomalyCounts, acknowledged: report.acknowledgedCounts, listed: report.anomalies };
    const stats = {
      elapsedMs: performance.now() - started,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      jsonPath: options.json ?? null,
      applied,
      show: options.show,
    };
    if (options.json !== undefined) await log.writeJson(options.json, { ...summary, stats, anomalies });
    const samples: Samples = {
      missing: log.samples('missing'),
      extra: log.samples('extra'),
      mismatched: log.samples('mismatched'),
      invalid: log.samples('invalid'),
    };
    process.stdout.write(formatSummary(summary, samples, stats, report ?? null));
    return summary.discrepancies > 0 ? 1 : 0;
  } finally {
    bar.stop();
    await ledger.close();
    if (spoolDir !== null) fs.rmSync(spoolDir, { recursive: true, force: true });
  }
}

export function reconcileCommand(): Command {
  const command = new Command('reconcile')
    .summary('compare a nachocode or store export with the ledger')
    .description(
      'Compare an external list of purchases and refunds (nachocode export or store report: CSV with webhook field names, JSON lines of webhook bodies, or a JSON array of them) with the ledger.',
    )
    .requiredOption('--file <path>', 'the .csv, .jsonl or .json file')
    .addOption(new Option('--environment <environment>', 'the ledger to compare with').choices(['production', 'sandbox']).makeOptionMandatory())
    .option('--ingest', 'store the rows missing from the ledger through the webhook ingest path, marked as imported', false)
    .option('--json <out.json>', 'write the full report (every discrepancy) as JSON')
    .option('--url <url>', 'compare with a running instance instead of the database at DATABASE_PATH')
    .addOption(new Option('--token <jwt>', 'admin token for --url (iaphook token --role admin)').env('IAPHOOK_TOKEN'))
    .option('--from <date>', 'start of the range checked for events the file lacks (default: its earliest row)', bound('from'))
    .option('--to <date>', 'end of that range (default: its latest row)', bound('to'))
    .addOption(new Option('--format <format>', 'file format when the extension does not tell').choices(['csv', 'jsonl', 'json']))
    .option('--show <n>', 'discrepancies of each kind (and anomalies) printed', positive, 10)
    .option('--acknowledged', 'list acknowledged anomalies too, not only open ones', false)
    .option('--no-progress', 'no progress bar')
    .action(async (options: Options) => {
      try {
        process.exitCode = await run(options);
      } catch (error) {
        // Expected failures get their message; anything else is a bug and gets its stack.
        const known =
          error instanceof UsageError ||
          error instanceof ConfigError ||
          error instanceof RemoteError ||
          typeof (error as NodeJS.ErrnoException).code === 'string';
        process.stderr.write(`reconcile: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
        process.exitCode = 2;
      }
    });

  // A usage error is a failed run (2), not a discrepancy (1).
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  return command;
}
