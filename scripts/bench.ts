import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, PROJECT_ROOT, stopAllServers } from '../test/support/server';
import { measureBackend, type RunContext } from './bench/backend-run';
import { CONNECTIONS } from './bench/ingest';
import { benchmarksMarkdown } from './bench/markdown';
import { pairRounds, type PairRound } from './bench/pair';
import { purchaseBody } from './bench/payloads';
import { ADMIN_URL, BENCH_DATABASE, dropBenchDatabase, dropLeftovers, probe, shownUrl } from './bench/postgres';
import { consoleTable, evaluateTargets, pairLine, scaleRow, type BackendResults, type BenchResults } from './bench/report';
import { scaleSection } from './bench/markdown-scale';
import { scalePart, scaleSizes } from './bench/scale';
import { machine, startScriptNodeOptions, startSink } from './bench/system';

// npm run bench: on SQLite, then on PostgreSQL (a database of its own on the server at
// BENCH_POSTGRES_URL), ingest against bare Express and a BullMQ receiver, processing lag, memory
// and size, outbound against plain undici and a BullMQ sender; then two PostgreSQL instances
// against one; last, on each backend, how cost grows with the work (scripts/bench/scale.ts).
// Prints the targets of both backends and writes docs/BENCHMARKS.md. Without a PostgreSQL server
// it measures SQLite only; without redis-server, no BullMQ peers.
// BENCH_ROUNDS, BENCH_SECONDS, BENCH_EVENTS, BENCH_SKIP_OUTBOUND=1 and BENCH_SKIP_PEERS=1 shorten
// it while working on it; BENCH_SCALE_MAX (e.g. 100000) caps the scale part's largest size,
// BENCH_SKIP_SCALE=1 skips it, and BENCH_ONLY=scale runs that part alone and prints it
// (docs/BENCHMARKS.md is left as it is).

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SETTINGS = {
  rounds: env('BENCH_ROUNDS', 3),
  durationSec: env('BENCH_SECONDS', 8),
  warmupSec: 2,
  targetEvents: env('BENCH_EVENTS', 100_000),
  outboundPerRound: 5_000,
  outboundInFlight: 50,
  fetchPosts: 3_000,
};
// Request logging off: a line per request is a real cost at thousands per second; errors still log.
// BENCH_SERVER_ENV (JSON) overrides server settings to compare designs, e.g. '{"APPLY_THREAD":"false"}'.
const SERVER_ENV = {
  NODE_OPTIONS: startScriptNodeOptions(),
  LOG_LEVEL: 'warn',
  LOG_REQUESTS: 'false',
  ...(JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}') as Record<string, string>),
};

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  log('building (tsc -p tsconfig.build.json)…');
  ensureBuilt();
  const m = machine();
  log(`${m.cpu}, ${m.cores} cores; Node ${m.node}`);
  const postgres = await probe();
  if ('error' in postgres) {
    log(
      `PostgreSQL rows skipped: no server answered at ${shownUrl(ADMIN_URL)} (${postgres.error}); ` +
        'start one there, or set BENCH_POSTGRES_URL to a superuser URL (the bench creates and drops a database), and run again to get them.',
    );
  } else {
    await dropLeftovers().catch((error: Error) => log(`could not drop databases left by earlier runs: ${error.message}`));
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-bench-'));
  const helpers: Array<{ stop(): Promise<void> }> = [];
  let cleaned: Promise<void> | null = null;
  // Once, from the finally or from Ctrl-C: servers, helpers, the PostgreSQL database, the folder.
  const cleanup = () =>
    (cleaned ??= (async () => {
      await Promise.all(helpers.map((h) => h.stop()));
      await stopAllServers();
      if (!('error' in postgres)) await dropBenchDatabase().catch((error: Error) => log(`could not drop ${BENCH_DATABASE}: ${error.message}`));
      fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  // on, not once: tsx relays a signal again when its child is slow to confirm it (and a terminal's
  // Ctrl-C reaches both), and a second one without a listener would exit before the cleanup ends.
  const interrupted = () => void cleanup().finally(() => process.exit(130));
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    const only = process.env.BENCH_ONLY;
    if (only !== undefined && only !== 'scale') throw new Error(`BENCH_ONLY may only be "scale", got "${only}"`);
    const scale = () => measureScale(dataDir, !('error' in postgres));
    if (only === 'scale') {
      const parts = await scale();
      log(`\n${scaleSection(parts).join('\n')}\n\n${consoleTable([scaleRow(parts)])}\n\ndocs/BENCHMARKS.md left as it is (BENCH_ONLY=scale)`);
      return;
    }
    const skipOutbound = process.env.BENCH_SKIP_OUTBOUND === '1';
    const peersSkipped = whyNoPeers();
    if (peersSkipped !== undefined) log(`BullMQ peer rows skipped: ${peersSkipped}`);
    let sink: ReturnType<typeof startSink> | null = null;
    const ctx: RunContext = {
      settings: SETTINGS,
      serverEnv: SERVER_ENV,
      dataDir,
      // Started on first use, once for both backends.
      sink: async () => {
        if (skipOutbound) return null;
        sink ??= startSink().then((started) => {
          helpers.push(started);
          return started;
        });
        const { url, child } = await sink;
        return { url, pid: child.pid ?? 0 };
      },
      outboundSkipped: skipOutbound ? 'skipped (BENCH_SKIP_OUTBOUND=1)' : undefined,
      peersSkipped,
      track: (helper) => {
        helpers.push(helper);
        return helper;
      },
      log,
    };
    const sqlite = await measureBackend('sqlite', ctx);
    const pg: PostgresParts =
      'error' in postgres
        ? { postgres: null, postgresSkipped: `no server answered at ${shownUrl(ADMIN_URL)}`, pair: null, pairSkipped: 'no PostgreSQL server answered' }
        : await measurePostgres(ctx);
    const scaleParts = await scale();
    const results: BenchResults = {
      machine: m,
      settings: {
        connections: CONNECTIONS,
        durationSec: SETTINGS.durationSec,
        bodyBytes: Buffer.byteLength(purchaseBody()),
        serverConfig: `default settings and \`node ${SERVER_ENV.NODE_OPTIONS}\` as \`npm start\`, request logging off`,
        outboundInFlight: SETTINGS.outboundInFlight,
        outboundPerRound: SETTINGS.outboundPerRound,
      },
      sqlite,
      ...pg,
      postgresServer: 'error' in postgres ? undefined : postgres,
      scale: scaleParts,
      totalSeconds: (Date.now() - started) / 1000,
    };
    const file = path.join(PROJECT_ROOT, 'docs', 'BENCHMARKS.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, benchmarksMarkdown(results));
    log(`\n${consoleTable(evaluateTargets(results))}\n${pairLine(results, m.cores)}\n\nwritten to docs/BENCHMARKS.md (${Math.round(results.totalSeconds)} s)`);
  } finally {
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** Why the BullMQ peers cannot run at all (said once for both backends), or undefined. */
function whyNoPeers(): string | undefined {
  if (process.env.BENCH_SKIP_PEERS === '1') return 'skipped (BENCH_SKIP_PEERS=1)';
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `no redis-server binary could run (${probe.error.message}); install Redis to get them`;
  return undefined;
}

type PostgresParts = Pick<BenchResults, 'postgres' | 'postgresSkipped' | 'pair' | 'pairSkipped'>;

/** PostgreSQL's rows, then two instances against one; a failure in either still leaves the rest. */
async function measurePostgres(ctx: RunContext): Promise<PostgresParts> {
  const failed = (what: string, error: unknown) => {
    log(`  ${what} failed: ${(error as Error).message}`);
    return `the run failed (${(error as Error).message})`;
  };
  let postgres: BackendResults | null = null;
  let postgresSkipped: string | undefined;
  try {
    postgres = await measureBackend('postgres', ctx);
  } catch (error) {
    postgresSkipped = failed('PostgreSQL benchmark', error);
  }
  let pair: PairRound[] | null = null;
  let pairSkipped: string | undefined;
  try {
    log(`two PostgreSQL instances against one: ${SETTINGS.rounds} rounds of ${SETTINGS.durationSec} s each way, alternated`);
    pair = await pairRounds({
      dataDir: ctx.dataDir,
      serverEnv: SERVER_ENV,
      rounds: SETTINGS.rounds,
      durationSec: SETTINGS.durationSec,
      warmupSec: SETTINGS.warmupSec,
      log,
    });
  } catch (error) {
    pairSkipped = failed('two-instance benchmark', error);
  }
  return { postgres, postgresSkipped, pair, pairSkipped };
}

/** How cost grows with the work, on SQLite, then on PostgreSQL when its server answered. */
async function measureScale(dataDir: string, postgresAnswered: boolean): Promise<BenchResults['scale']> {
  if (process.env.BENCH_SKIP_SCALE === '1')
    return { sqlite: { skipped: 'skipped (BENCH_SKIP_SCALE=1)' }, postgres: { skipped: 'skipped (BENCH_SKIP_SCALE=1)' } };
  const options = { dataDir: path.join(dataDir, 'scale'), sizes: scaleSizes(env('BENCH_SCALE_MAX', Number.POSITIVE_INFINITY)), log };
  const sqlite = await scalePart('sqlite', options);
  const pg = postgresAnswered ? await scalePart('postgres', options) : { skipped: `no server answered at ${shownUrl(ADMIN_URL)}` };
  return { sqlite, postgres: pg };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
