import type { CpuPerItem, CpuPerRequest } from './cpu';
import type { IngestRound } from './ingest';
import type { OutboundResult } from './outbound';
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

/** iaphook against the BullMQ receiver, over the rounds the receiver ran in. */
export interface PeerIngestSummary {
  rounds: number;
  peerRps: number;
  serverRps: number;
  /** Median of the rounds' iaphook / receiver ratios. */
  ratio: number;
  peerP99: number;
  serverP99: number;
  /** The receiver's worker: lag of every acknowledged event, pooled. */
  lagP50: number;
  lagP99: number;
  drainMs: number;
  /** Jobs left waiting when a drain timed out, over all rounds (0: the worker kept up). */
  pending: number;
  /** Failed jobs in the queue after the last round. */
  failed: number;
}

/** null when the receiver ran in no round. */
export function summarizePeerIngest(rounds: IngestRound[]): PeerIngestSummary | null {
  const paired = rounds.flatMap((r) => (r.peer === undefined ? [] : [{ server: r.server, peer: r.peer }]));
  if (paired.length === 0) return null;
  const lags = paired.flatMap((r) => r.peer.lag.samples);
  return {
    rounds: paired.length,
    peerRps: median(paired.map((r) => r.peer.rps)),
    serverRps: median(paired.map((r) => r.server.rps)),
    ratio: median(paired.map((r) => r.server.rps / r.peer.rps)),
    peerP99: median(paired.map((r) => r.peer.p99)),
    serverP99: median(paired.map((r) => r.server.p99)),
    lagP50: quantile(lags, 0.5),
    lagP99: quantile(lags, 0.99),
    drainMs: Math.max(...paired.map((r) => r.peer.lag.drainMs)),
    pending: paired.reduce((n, r) => n + r.peer.lag.pending, 0),
    failed: Math.max(...paired.map((r) => r.peer.lag.failed)),
  };
}

export interface PeerOutboundSummary {
  corePerSec: number;
  peerPerSec: number;
  /** Median of the rounds' core / sender ratios. */
  ratio: number;
}

/** The delivery core against the BullMQ sender, over the rounds the sender ran in; null when none. */
export function summarizePeerOutbound(outbound: OutboundResult | null): PeerOutboundSummary | null {
  const paired = (outbound?.rounds ?? []).flatMap((r) => (r.peer === undefined ? [] : [{ core: r.core, peer: r.peer }]));
  if (paired.length === 0) return null;
  return {
    corePerSec: median(paired.map((r) => r.core)),
    peerPerSec: median(paired.map((r) => r.peer)),
    ratio: median(paired.map((r) => r.core / r.peer)),
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

/** The targets (and where they head next): ingest against bare Express, outbound against a plain undici loop. */
export const INGEST_TARGET = 0.6;
export const INGEST_HEADING = 0.8;
export const OUTBOUND_TARGET = 0.4;
export const OUTBOUND_HEADING = 0.5;

export interface CpuSummary {
  bare: CpuSide;
  server: CpuSide;
  /** The most one request may cost, load generator included, for iaphook to reach INGEST_TARGET × bare. */
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
  return { bare, server, budgetUsAtTarget: (cores * 1e6) / (INGEST_TARGET * bareRps) };
}

export type OutboundCpuSide = CpuPerItem & {
  /** All of them: what one delivery (or post) costs the machine. */
  totalUs: number;
  /** Deliveries (posts) per second the cores could carry at that cost, if nothing else ran. */
  ceilingPerSec: number;
};

export interface OutboundCpuSummary {
  core: OutboundCpuSide;
  undici: OutboundCpuSide;
  /** The most one delivery may cost, sink included, for the core to reach OUTBOUND_TARGET × the undici loop. */
  budgetUsAtTarget: number;
}

/**
 * CPU per delivery of the core and per post of the plain undici loop: with the sink on the same
 * cores, what says how far the outbound ratio can go. null when /proc was not readable.
 */
export function summarizeOutboundCpu(outbound: Pick<OutboundResult, 'cpu' | 'undiciPerSec'> | null, cores: number): OutboundCpuSummary | null {
  if (outbound === null || outbound.cpu === null) return null;
  const side = (c: CpuPerItem): OutboundCpuSide => {
    const totalUs = c.mainUs + c.otherUs + c.helperUs + (c.databaseUs ?? 0);
    return { ...c, totalUs, ceilingPerSec: (cores * 1e6) / totalUs };
  };
  return { core: side(outbound.cpu.core), undici: side(outbound.cpu.undici), budgetUsAtTarget: (cores * 1e6) / (OUTBOUND_TARGET * outbound.undiciPerSec) };
}
