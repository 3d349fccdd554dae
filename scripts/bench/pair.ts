import path from 'node:path';
import type { Storage } from '../../src/storage';
import { E2E_WEBHOOK_KEY, startServer, stopAllServers, type ServerProcess } from '../../test/support/server';
import { withCpu, type CpuPerRequest } from './cpu';
import { CONNECTIONS, PURCHASE_ROUTE } from './ingest';
import { openReader, processingLag, waitForDrain, type LagResult } from './lag';
import { runLoad, type LoadResult } from './load';
import { freshBenchDatabase, quiet, serverBackends, tagged } from './postgres';
import { cpuSide, type CpuSide } from './summary';
import { median, quantile, sleep } from './stats';

// Two iaphook instances on one PostgreSQL database against one, under the same total load.

export interface PairRun {
  /** Acknowledged requests per second, all instances together. */
  rps: number;
  /** Acknowledged req/s of each loaded instance. */
  perInstance: number[];
  /** The higher of the load generators' p99 (ms): autocannon's percentiles cannot be merged. */
  p99: number;
  failed: number;
  lag: LagResult;
  cpu: CpuPerRequest | null;
}

export interface PairRound {
  one: PairRun;
  two: PairRun;
}

export interface PairOptions {
  dataDir: string;
  serverEnv: Record<string, string>;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  log(line: string): void;
}

const headers = { authorization: `Bearer ${E2E_WEBHOOK_KEY}` };
/** Each instance tags its connections, so the bench can tell whether one is inside a transaction. */
const APPS = ['iaphook-bench-instance-1', 'iaphook-bench-instance-2'] as const;

function merge(results: LoadResult[]): LoadResult & { perInstance: number[] } {
  const sum = (pick: (r: LoadResult) => number) => results.reduce((s, r) => s + pick(r), 0);
  return {
    requests: sum((r) => r.requests),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    rps: sum((r) => r.rps),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    acks: new Map(results.flatMap((r) => [...r.acks])),
    perInstance: results.map((r) => r.rps),
  };
}

/**
 * Starts two instances on a fresh database (each its own data folder and port) and measures, in
 * alternated rounds, all connections on one instance against the same connections split across
 * both, every load generator in this process at once (one purchase counter: ids never collide).
 */
export async function pairRounds(options: PairOptions): Promise<PairRound[]> {
  const url = await freshBenchDatabase();
  try {
    const servers: ServerProcess[] = [];
    for (const [i, app] of APPS.entries()) {
      const env = { ...options.serverEnv, DATABASE_URL: tagged(url, app) };
      servers.push(await startServer({ dataDir: path.join(options.dataDir, `pair-${i + 1}`), env }));
    }
    const reader = await openReader(servers[0].env);
    try {
      return await measureRounds(servers, reader, options);
    } finally {
      await reader.close();
    }
  } finally {
    await stopAllServers();
  }
}

async function measureRounds(servers: ServerProcess[], reader: Storage, options: PairOptions): Promise<PairRound[]> {
  const pids = servers.map((s) => s.child.pid ?? 0);
  const databasePids = serverBackends(reader);
  const measure = async (targets: ServerProcess[], durationSec: number): Promise<PairRun> => {
    const each = Math.floor(CONNECTIONS / targets.length);
    const loads = () =>
      Promise.all(
        targets.map((s, i) =>
          // The first takes any remainder, so the total is always CONNECTIONS.
          runLoad({
            url: s.url,
            path: PURCHASE_ROUTE,
            headers,
            connections: i === 0 ? CONNECTIONS - each * (targets.length - 1) : each,
            durationSec,
            collectAcks: true,
          }),
        ),
      ).then(merge);
    const measured = await withCpu(pids, loads, databasePids);
    const drain = await waitForDrain(reader, Date.now(), 120_000);
    const lag = { ...(await processingLag(reader, measured.acks)), ...drain };
    return { rps: measured.rps, perInstance: measured.perInstance, p99: measured.p99, failed: measured.non2xx + measured.errors, lag, cpu: measured.cpu };
  };
  // One instance: the second is paused (SIGSTOP), so it neither takes requests nor claims the first
  // one's apply jobs, and stays as warm as the first for the next two-instance run.
  const alone = async (durationSec: number) => {
    await pause(servers[1], reader, APPS[1]);
    try {
      return await measure([servers[0]], durationSec);
    } finally {
      servers[1].child.kill('SIGCONT');
      await sleep(200);
    }
  };
  await measure(servers, options.warmupSec);
  await alone(options.warmupSec);
  const rounds: PairRound[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const round =
      i % 2 === 0
        ? { one: await alone(options.durationSec), two: await measure(servers, options.durationSec) }
        : { two: await measure(servers, options.durationSec), one: await alone(options.durationSec) };
    rounds.push(round);
    options.log(
      `  round ${i + 1}: one instance ${Math.round(round.one.rps)}/s lag p99 ${round.one.lag.p99} ms | ` +
        `two ${Math.round(round.two.rps)}/s (${round.two.perInstance.map(Math.round).join(' + ')}) lag p99 ${round.two.lag.p99} ms ` +
        `(factor ${(round.two.rps / round.one.rps).toFixed(2)})`,
    );
  }
  return rounds;
}

/**
 * SIGSTOPs an instance, but never in the middle of a transaction: one frozen holding a row or
 * advisory lock would stall the other instance and spoil the measurement. Caught inside one, it
 * is let go on and tried again a moment later.
 */
async function pause(server: ServerProcess, reader: Storage, app: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    server.child.kill('SIGSTOP');
    await sleep(30);
    if (await quiet(reader, app)) return;
    server.child.kill('SIGCONT');
    await sleep(20 + attempt * 5);
  }
  throw new Error('could not pause the second instance outside a transaction');
}

export interface PairSummary {
  oneRps: number;
  twoRps: number;
  /** Median of the rounds' two/one ratios. */
  factor: number;
  oneLag: { p50: number; p99: number };
  twoLag: { p50: number; p99: number };
  oneCpu: CpuSide | null;
  twoCpu: CpuSide | null;
}

export function summarizePair(rounds: PairRound[], cores: number): PairSummary {
  const lag = (runs: PairRun[]) => {
    const all = runs.flatMap((r) => r.lag.samples);
    return { p50: quantile(all, 0.5), p99: quantile(all, 0.99) };
  };
  return {
    oneRps: median(rounds.map((r) => r.one.rps)),
    twoRps: median(rounds.map((r) => r.two.rps)),
    factor: median(rounds.map((r) => r.two.rps / r.one.rps)),
    oneLag: lag(rounds.map((r) => r.one)),
    twoLag: lag(rounds.map((r) => r.two)),
    oneCpu: cpuSide(
      rounds.map((r) => r.one.cpu),
      cores,
    ),
    twoCpu: cpuSide(
      rounds.map((r) => r.two.cpu),
      cores,
    ),
  };
}
