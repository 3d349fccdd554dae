import path from 'node:path';
import type { Backend, Storage } from '../../src/storage';
import { startServer, stopAllServers, type ServerProcess } from '../../test/support/server';
import { ingestRounds, type IngestRound } from './ingest';
import { openReader } from './lag';
import { memoryRuns, type MemoryResult } from './memory';
import { outboundRounds, type OutboundResult } from './outbound';
import { databaseSize, freshBenchDatabase, serverBackends } from './postgres';
import { LABEL, type BackendResults } from './report';
import { databaseBytes, startBareExpress } from './system';

// Every measurement of one backend, the same code for both: the server as `npm start` runs it
// (SQLite in its data folder, or DATABASE_URL on a fresh PostgreSQL database), read through the
// storage port on the same configuration.

export interface RunSettings {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  targetEvents: number;
  outboundPerRound: number;
  outboundInFlight: number;
  fetchPosts: number;
}

export interface RunContext {
  settings: RunSettings;
  serverEnv: Record<string, string>;
  dataDir: string;
  /** The outbound sink's URL (started once, shared by both backends); null to skip outbound. */
  sinkUrl: () => Promise<string | null>;
  /** Why outbound is skipped, when sinkUrl gives null. */
  outboundSkipped?: string;
  log(line: string): void;
}

async function sizes(backend: Backend, reader: Storage, server: ServerProcess): Promise<{ databaseBytes: number; walBytes: number | null }> {
  if (backend === 'postgres') return { databaseBytes: await databaseSize(reader), walBytes: null };
  const total = databaseBytes(server.databasePath);
  return { databaseBytes: total, walBytes: total - databaseBytes(server.databasePath, false) };
}

/** Ingest against bare Express, processing lag, memory and size, then outbound. */
export async function measureBackend(backend: Backend, ctx: RunContext): Promise<BackendResults> {
  const { settings, log } = ctx;
  const label = LABEL[backend];
  const env = backend === 'postgres' ? { ...ctx.serverEnv, DATABASE_URL: await freshBenchDatabase() } : ctx.serverEnv;
  let ingest: IngestRound[];
  let memory: MemoryResult;
  try {
    const server = await startServer({ dataDir: path.join(ctx.dataDir, backend), env });
    const reader = await openReader(server.env);
    try {
      const bare = await startBareExpress();
      try {
        log(`${label} ingest: ${settings.rounds} rounds of ${settings.durationSec} s each, alternated with bare Express`);
        ingest = await ingestRounds({
          serverUrl: server.url,
          bareUrl: bare.url,
          serverPid: server.child.pid ?? 0,
          barePid: bare.child.pid ?? 0,
          reader,
          databasePids: backend === 'postgres' ? serverBackends(reader) : undefined,
          ...settings,
          log,
        });
      } finally {
        await bare.stop();
      }
      log(`${label} memory and size: topping up to ${settings.targetEvents.toLocaleString('en')} events in three runs`);
      memory = await memoryRuns({ serverUrl: server.url, pid: server.child.pid ?? 0, reader, sizes: () => sizes(backend, reader, server), ...settings, log });
    } finally {
      await reader.close();
    }
  } finally {
    await stopAllServers();
  }
  return { backend, ingest, memory, ...(await runOutbound(backend, ctx)) };
}

async function runOutbound(backend: Backend, ctx: RunContext): Promise<{ outbound: OutboundResult | null; outboundSkipped?: string }> {
  const { settings, log } = ctx;
  try {
    const sinkUrl = await ctx.sinkUrl();
    if (sinkUrl === null) return { outbound: null, outboundSkipped: ctx.outboundSkipped ?? 'skipped' };
    log(
      `${LABEL[backend]} outbound: ${settings.rounds} rounds of ${settings.outboundPerRound.toLocaleString('en')} deliveries, alternated with a plain undici loop`,
    );
    const outbound = await outboundRounds({
      dataDir: path.join(ctx.dataDir, backend),
      databaseUrl: backend === 'postgres' ? await freshBenchDatabase() : undefined,
      sinkUrl,
      perRound: settings.outboundPerRound,
      rounds: settings.rounds,
      fetchPosts: settings.fetchPosts,
      inFlight: settings.outboundInFlight,
      log,
    });
    return { outbound };
  } catch (error) {
    log(`  outbound benchmark failed: ${(error as Error).message}`);
    return { outbound: null, outboundSkipped: `the run failed (${(error as Error).message})` };
  }
}
