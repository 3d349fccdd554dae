import type { CpuPerRequest } from './cpu';
import type { IngestRound } from './ingest';
import { median, quantile } from './stats';

// Pure summaries of the measured rounds: what the targets, the console and the markdown report.

export interface IngestSummary {
  bareRps: number;
  serverRps: number;
  ratio: number;
  bareP99: number;
  serverP99: number;
  lagP50: number;
  lagP99: number;
  drainMs: number;
}

export function summarizeIngest(rounds: IngestRound[]): IngestSummary {
  const lags = rounds.flatMap((r) => r.lag.samples);
  const bareRps = median(rounds.map((r) => r.bare.rps));
  const serverRps = median(rounds.map((r) => r.server.rps));
  return {
    bareRps,
    serverRps,
    // Each round's pair ran back to back; the median of their ratios is steadier than a ratio of
    // medians taken from different rounds when the machine's speed drifts.
    ratio: median(rounds.map((r) => r.server.rps / r.bare.rps)),
    bareP99: median(rounds.map((r) => r.bare.p99)),
    serverP99: median(rounds.map((r) => r.server.p99)),
    lagP50: quantile(lags, 0.5),
    lagP99: quantile(lags, 0.99),
    drainMs: Math.max(...rounds.map((r) => r.lag.drainMs)),
  };
}

export interface CpuSide {
  mainUs: number;
  otherUs: number;
  loadUs: number;
  /** PostgreSQL's backends serving the server; absent where the database runs inside the server (SQLite). */
  databaseUs?: number;
  /** All of them: what one request costs the machine. */
  totalUs: number;
  /** Requests per second the machine's cores could carry at that cost, if nothing else ran. */
  ceilingRps: number;
}

export interface CpuSummary {
  bare: CpuSide;
  server: CpuSide;
  /** The most one request may cost, load generator included, for iaphook to reach 0.8 × bare. */
  budgetUsAtTarget: number;
}

/** Medians of each part over runs, and the ceiling their total allows; null if any run lacks /proc figures. */
export function cpuSide(runs: ReadonlyArray<CpuPerRequest | null>, cores: number): CpuSide | null {
  if (runs.length === 0 || runs.some((c) => c === null)) return null;
  const cpus = runs as CpuPerRequest[];
  const part = (pick: (c: CpuPerRequest) => number) => median(cpus.map(pick));
  const mainUs = part((c) => c.mainUs);
  const otherUs = part((c) => c.otherUs);
  const loadUs = part((c) => c.loadUs);
  const databaseUs = cpus.every((c) => c.databaseUs !== undefined) ? part((c) => c.databaseUs!) : undefined;
  const totalUs = mainUs + otherUs + loadUs + (databaseUs ?? 0);
  return { mainUs, otherUs, loadUs, ...(databaseUs === undefined ? {} : { databaseUs }), totalUs, ceilingRps: (cores * 1e6) / totalUs };
}

/**
 * CPU per request, medians over the rounds. On a machine where the load generator shares the
 * cores, throughput is bounded by what a request costs all threads together: this is what says
 * how far a ratio can go, not the ratio itself. null when /proc was not readable.
 */
export function summarizeCpu(rounds: Array<Pick<IngestRound, 'bare' | 'server'>>, cores: number): CpuSummary | null {
  const bare = cpuSide(
    rounds.map((r) => r.bare.cpu),
    cores,
  );
  const server = cpuSide(
    rounds.map((r) => r.server.cpu),
    cores,
  );
  if (bare === null || server === null) return null;
  const bareRps = median(rounds.map((r) => r.bare.rps));
  return { bare, server, budgetUsAtTarget: (cores * 1e6) / (0.8 * bareRps) };
}
