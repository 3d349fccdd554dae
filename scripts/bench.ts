import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, PROJECT_ROOT, startServer, stopAllServers } from '../test/support/server';
import { CONNECTIONS, ingestRounds } from './bench/ingest';
import { openReader } from './bench/lag';
import { benchmarksMarkdown } from './bench/markdown';
import { memoryRuns } from './bench/memory';
import { outboundRounds, type OutboundResult } from './bench/outbound';
import { purchaseBody } from './bench/payloads';
import { consoleTable, evaluateTargets, type BenchResults } from './bench/report';
import { machine, startBareExpress, startScriptNodeOptions, startSink, type BareServer } from './bench/system';

// npm run bench: ingest against bare Express, processing lag, outbound against plain undici,
// memory and size; prints the targets and writes docs/BENCHMARKS.md. About three minutes.
// BENCH_ROUNDS, BENCH_SECONDS, BENCH_EVENTS and BENCH_SKIP_OUTBOUND=1 shorten it while working on it.

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
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iaphook-bench-'));
  const helpers: BareServer[] = [];
  try {
    const server = await startServer({ dataDir, env: SERVER_ENV });
    const bare = await startBareExpress();
    helpers.push(bare);
    const reader = openReader(server.databasePath);
    log(`ingest: ${SETTINGS.rounds} rounds of ${SETTINGS.durationSec} s each, alternated with bare Express`);
    const ingest = await ingestRounds({
      serverUrl: server.url,
      bareUrl: bare.url,
      serverPid: server.child.pid ?? 0,
      barePid: bare.child.pid ?? 0,
      reader,
      ...SETTINGS,
      log,
    });
    await bare.stop();
    log(`memory and size: topping up to ${SETTINGS.targetEvents.toLocaleString('en')} events in three runs`);
    const memory = await memoryRuns({ serverUrl: server.url, pid: server.child.pid ?? 0, databasePath: server.databasePath, reader, ...SETTINGS, log });
    reader.close();
    await stopAllServers();
    log(`outbound: ${SETTINGS.rounds} rounds of ${SETTINGS.outboundPerRound.toLocaleString('en')} deliveries, alternated with a plain undici loop`);
    const { outbound, outboundSkipped } =
      process.env.BENCH_SKIP_OUTBOUND === '1' ? { outbound: null, outboundSkipped: 'skipped (BENCH_SKIP_OUTBOUND=1)' } : await runOutbound(dataDir, helpers);
    const results: BenchResults = {
      machine: m,
      settings: {
        connections: CONNECTIONS,
        durationSec: SETTINGS.durationSec,
        bodyBytes: Buffer.byteLength(purchaseBody()),
        serverConfig: `default settings and \`node ${SERVER_ENV.NODE_OPTIONS}\` as \`npm start\`, request logging off`,
        outboundInFlight: SETTINGS.outboundInFlight,
      },
      ingest,
      memory,
      outbound,
      outboundSkipped,
      totalSeconds: (Date.now() - started) / 1000,
    };
    const file = path.join(PROJECT_ROOT, 'docs', 'BENCHMARKS.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, benchmarksMarkdown(results));
    log(`\n${consoleTable(evaluateTargets(results))}\n\nwritten to docs/BENCHMARKS.md (${Math.round(results.totalSeconds)} s)`);
  } finally {
    await Promise.all(helpers.map((h) => h.stop()));
    await stopAllServers();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runOutbound(dataDir: string, helpers: BareServer[]): Promise<{ outbound: OutboundResult | null; outboundSkipped?: string }> {
  try {
    const sink = await startSink();
    helpers.push(sink);
    const outbound = await outboundRounds({ dataDir, sinkUrl: sink.url, perRound: SETTINGS.outboundPerRound, rounds: SETTINGS.rounds, fetchPosts: SETTINGS.fetchPosts, inFlight: SETTINGS.outboundInFlight, log });
    return { outbound };
  } catch (error) {
    log(`  outbound benchmark failed: ${(error as Error).message}`);
    return { outbound: null, outboundSkipped: `the run failed (${(error as Error).message})` };
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
