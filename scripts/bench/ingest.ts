import type { Storage } from '../../src/storage';
import { E2E_WEBHOOK_KEY } from '../../test/support/server';
import { processingLag, waitForDrain, type LagResult } from './lag';
import { withCpu, type CpuPerRequest } from './cpu';
import { runLoad, type LoadResult } from './load';
import type { IngestPeer, PeerIngestRun } from './peers';
import { quantile } from './stats';

export const PURCHASE_ROUTE = '/webhooks/nachocode/purchase';
export const CONNECTIONS = 50;

type Measured = LoadResult & { cpu: CpuPerRequest | null };

export interface IngestRound {
  bare: Measured;
  server: Measured;
  lag: LagResult;
  /** The BullMQ receiver's run of the round, when the peers ran. */
  peer?: PeerIngestRun;
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
  /** The BullMQ receiver, loaded the same way in the same rounds. */
  peer?: IngestPeer;
  /** The peer failed: it is left out of the later rounds, the rest goes on. */
  peerFailed?(error: Error): void;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  log(line: string): void;
}

const headers = { authorization: `Bearer ${E2E_WEBHOOK_KEY}` };

/**
 * The server's purchase route against the bare Express baseline and, when given, the BullMQ
 * receiver, alternated (the order reverses every round so a drift in the machine's speed hurts all
 * alike), with the processing lag of every acknowledged purchase and the time the backlog takes to
 * drain. Each run starts once the previous one's backlog has drained, so no worker steals the next
 * run's CPU.
 */
export async function ingestRounds(options: IngestOptions): Promise<IngestRound[]> {
  let peer = options.peer;
  const autocannon = (url: string, durationSec: number) =>
    runLoad({ url, path: PURCHASE_ROUTE, headers, connections: CONNECTIONS, durationSec, collectAcks: true });
  const load = (url: string, pid: number, durationSec: number, databasePids?: () => Promise<number[]>) =>
    withCpu([pid], () => autocannon(url, durationSec), databasePids);
  const bareLoad = (durationSec: number) => load(options.bareUrl, options.barePid, durationSec);
  const server = async (durationSec: number) => {
    const result = await load(options.serverUrl, options.serverPid, durationSec, options.databasePids);
    const endedAt = Date.now();
    const drain = await waitForDrain(options.reader, endedAt, 120_000);
    return { result, lag: { ...(await processingLag(options.reader, result.acks)), ...drain } };
  };
  const peerLoad = async (durationSec: number) => {
    try {
      return await peer?.settle(await autocannon(peer.url, durationSec), Date.now());
    } catch (error) {
      peer = undefined;
      options.peerFailed?.(error as Error);
      return undefined;
    }
  };
  await bareLoad(options.warmupSec);
  await server(options.warmupSec);
  await peerLoad(options.warmupSec);
  const rounds: IngestRound[] = [];
  for (let i = 0; i < options.rounds; i++) {
    let bare: Measured | undefined;
    let measured: Awaited<ReturnType<typeof server>> | undefined;
    let peerRun: PeerIngestRun | undefined;
    const runs = [
      async () => (bare = await bareLoad(options.durationSec)),
      async () => (measured = await server(options.durationSec)),
      async () => (peerRun = await peerLoad(options.durationSec)),
    ];
    for (const run of i % 2 === 0 ? runs : runs.reverse()) await run();
    const r: IngestRound = { bare: bare!, server: measured!.result, lag: measured!.lag, ...(peerRun === undefined ? {} : { peer: peerRun }) };
    rounds.push(r);
    const versusPeer =
      r.peer === undefined
        ? ''
        : ` | BullMQ receiver ${Math.round(r.peer.rps)}/s p99 ${r.peer.p99} ms (iaphook/peer ${(r.server.rps / r.peer.rps).toFixed(2)}), ` +
          `lag p99 ${r.peer.lag.p99} ms, ${r.peer.lag.pending === 0 ? `drained in ${r.peer.lag.drainMs} ms` : `${r.peer.lag.pending} jobs still waiting`}`;
    options.log(
      `  round ${i + 1}: bare ${Math.round(r.bare.rps)}/s p99 ${r.bare.p99} ms | iaphook ${Math.round(r.server.rps)}/s p99 ${r.server.p99} ms ` +
        `(ratio ${(r.server.rps / r.bare.rps).toFixed(2)}) | lag p99 ${r.lag.p99} ms, drained in ${r.lag.drainMs} ms${versusPeer}`,
    );
  }
  return rounds;
}

/** Every acknowledged event's lag across the rounds, pooled. */
export function pooledLag(rounds: IngestRound[]): { p50: number; p99: number } {
  const all = rounds.flatMap((r) => r.lag.samples);
  return { p50: quantile(all, 0.5), p99: quantile(all, 0.99) };
}
