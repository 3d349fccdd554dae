import type { Storage } from '../../src/storage';
import { E2E_WEBHOOK_KEY } from '../../test/support/server';
import { processingLag, waitForDrain, type LagResult } from './lag';
import { withCpu, type CpuPerRequest } from './cpu';
import { runLoad, type LoadResult } from './load';
import { quantile } from './stats';

export const PURCHASE_ROUTE = '/webhooks/nachocode/purchase';
export const CONNECTIONS = 50;

type Measured = LoadResult & { cpu: CpuPerRequest | null };

export interface IngestRound {
  bare: Measured;
  server: Measured;
  lag: LagResult;
}

export interface IngestOptions {
  serverUrl: string;
  bareUrl: string;
  /** Process ids, for the CPU each request costs (read from /proc). */
  serverPid: number;
  barePid: number;
  /** The storage port on the server's database (lag, drain). */
  reader: Storage;
  /** PostgreSQL: the backends serving the server, whose CPU is part of each request's. */
  databasePids?: () => Promise<number[]>;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  log(line: string): void;
}

const headers = { authorization: `Bearer ${E2E_WEBHOOK_KEY}` };

/**
 * The server's purchase route against the bare Express baseline, alternated (the order flips every
 * round so a drift in the machine's speed hurts both alike), with the processing lag of every
 * acknowledged purchase and the time the backlog takes to drain. The baseline runs only once the
 * server's backlog has drained, so the server's worker never steals the baseline's CPU.
 */
export async function ingestRounds(options: IngestOptions): Promise<IngestRound[]> {
  const load = (url: string, pid: number, durationSec: number, databasePids?: () => Promise<number[]>) =>
    withCpu([pid], () => runLoad({ url, path: PURCHASE_ROUTE, headers, connections: CONNECTIONS, durationSec, collectAcks: true }), databasePids);
  const bareLoad = (durationSec: number) => load(options.bareUrl, options.barePid, durationSec);
  const server = async (durationSec: number) => {
    const result = await load(options.serverUrl, options.serverPid, durationSec, options.databasePids);
    const endedAt = Date.now();
    const drain = await waitForDrain(options.reader, endedAt, 120_000);
    return { result, lag: { ...(await processingLag(options.reader, result.acks)), ...drain } };
  };
  await bareLoad(options.warmupSec);
  await server(options.warmupSec);
  const rounds: IngestRound[] = [];
  for (let i = 0; i < options.rounds; i++) {
    let bare: Measured;
    let measured: Awaited<ReturnType<typeof server>>;
    if (i % 2 === 0) {
      bare = await bareLoad(options.durationSec);
      measured = await server(options.durationSec);
    } else {
      measured = await server(options.durationSec);
      bare = await bareLoad(options.durationSec);
    }
    rounds.push({ bare, server: measured.result, lag: measured.lag });
    const r = rounds[rounds.length - 1];
    options.log(
      `  round ${i + 1}: bare ${Math.round(r.bare.rps)}/s p99 ${r.bare.p99} ms | iaphook ${Math.round(r.server.rps)}/s p99 ${r.server.p99} ms ` +
        `(ratio ${(r.server.rps / r.bare.rps).toFixed(2)}) | lag p99 ${r.lag.p99} ms, drained in ${r.lag.drainMs} ms`,
    );
  }
  return rounds;
}

/** Every acknowledged event's lag across the rounds, pooled. */
export function pooledLag(rounds: IngestRound[]): { p50: number; p99: number } {
  const all = rounds.flatMap((r) => r.lag.samples);
  return { p50: quantile(all, 0.5), p99: quantile(all, 0.99) };
}
