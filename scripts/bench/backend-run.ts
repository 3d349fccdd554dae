import fs from 'node:fs';
import path from 'node:path';
import type { Backend, Storage } from '../../src/storage';
import { startServer, stopAllServers, type ServerProcess } from '../../test/support/server';
import { ingestRounds, type IngestRound } from './ingest';
import { openReader } from './lag';
import { memoryRuns, type MemoryResult } from './memory';
import { outboundRounds } from './outbound';
import { startIngestPeer, startOutboundPeer, type IngestPeer, type Track } from './peers';
import { databaseSize, freshBenchDatabase, serverBackends } from './postgres';
import { startRedis } from './redis';
import { LABEL, type BackendResults, type PeersSkipped } from './report';
import { databaseBytes, startBareExpress, type BareServer } from './system';

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
  /** The outbound sink (its URL, and its pid for the CPU it spends); null when outbound is skipped. */
  sink: () => Promise<{ url: string; pid: number } | null>;
  /** Why outbound is skipped, when sink gives null. */
  outboundSkipped?: string;
  /** Why the BullMQ peers are left out on every backend (said once by the caller); undefined to run them. */
  peersSkipped?: string;
  /** Registers a child process for the bench's cleanup, Ctrl-C included. */
  track: Track;
  log(line: string): void;
}

async function sizes(backend: Backend, reader: Storage, server: ServerProcess): Promise<{ databaseBytes: number; walBytes: number | null }> {
  if (backend === 'postgres') return { databaseBytes: await databaseSize(reader), walBytes: null };
  const total = databaseBytes(server.databasePath);
  return { databaseBytes: total, walBytes: total - databaseBytes(server.databasePath, false) };
}

/** The peers' Redis for one backend's run (its own, fresh), or why the peers are left out. */
async function peersRedis(backend: Backend, ctx: RunContext): Promise<BareServer | string> {
  if (ctx.peersSkipped !== undefined) return ctx.peersSkipped;
  try {
    return ctx.track(await startRedis(path.join(ctx.dataDir, backend, 'redis')));
  } catch (error) {
    const why = `Redis did not start (${(error as Error).message})`;
    ctx.log(`${LABEL[backend]}: BullMQ peer rows skipped: ${why}`);
    return why;
  }
}

/** Ingest against bare Express and the BullMQ receiver, processing lag, memory and size, then outbound. */
export async function measureBackend(backend: Backend, ctx: RunContext): Promise<BackendResults> {
  const redis = await peersRedis(backend, ctx);
  const peersSkipped: PeersSkipped = typeof redis === 'string' ? { ingest: redis, outbound: redis } : {};
  const failed = (part: keyof PeersSkipped, peer: string) => (error: Error) => {
    ctx.log(`  ${peer} failed, left out from here on: ${error.message}`);
    peersSkipped[part] ??= `the ${peer} failed (${error.message})`;
  };
  try {
    const ingest = await measureIngest(backend, ctx, typeof redis === 'string' ? null : redis.url, failed('ingest', 'BullMQ receiver'));
    const outbound = await runOutbound(backend, ctx, typeof redis === 'string' ? null : redis.url, failed('outbound', 'BullMQ sender'));
    return { backend, ...ingest, ...outbound, ...(Object.keys(peersSkipped).length === 0 ? {} : { peersSkipped }) };
  } finally {
    if (typeof redis !== 'string') {
      await redis.stop();
      fs.rmSync(path.join(ctx.dataDir, backend, 'redis'), { recursive: true, force: true });
    }
  }
}

async function measureIngest(
  backend: Backend,
  ctx: RunContext,
  redisUrl: string | null,
  peerFailed: (error: Error) => void,
): Promise<Pick<BackendResults, 'ingest' | 'memory' | 'memoryNoHeapLimit'>> {
  const { settings, log } = ctx;
  const label = LABEL[backend];
  const dataDir = path.join(ctx.dataDir, backend);
  const env = backend === 'postgres' ? { ...ctx.serverEnv, DATABASE_URL: await freshBenchDatabase() } : ctx.serverEnv;
  let ingest: IngestRound[];
  let memory: MemoryResult;
  try {
    const server = await startServer({ dataDir, env });
    const reader = await openReader(server.env);
    try {
      const bare = ctx.track(await startBareExpress());
      let peer: IngestPeer | undefined;
      try {
        if (redisUrl !== null) peer = await startIngestPeer({ redisUrl, dir: dataDir, track: ctx.track }).catch((error: Error) => void peerFailed(error));
        const against = peer === undefined ? 'bare Express' : 'bare Express and a BullMQ receiver';
        log(`${label} ingest: ${settings.rounds} rounds of ${settings.durationSec} s each, alternated with ${against}`);
        ingest = await ingestRounds({
          serverUrl: server.url,
          bareUrl: bare.url,
          serverPid: server.child.pid ?? 0,
          barePid: bare.child.pid ?? 0,
          reader,
          databasePids: backend === 'postgres' ? serverBackends(reader) : undefined,
          peer,
          peerFailed,
          ...settings,
          log,
        });
      } finally {
        await Promise.all([bare.stop(), peer?.stop()]);
      }
      log(`${label} memory and size: topping up to ${settings.targetEvents.toLocaleString('en')} events in three runs`);
      memory = await memoryRuns({ serverUrl: server.url, pid: server.child.pid ?? 0, reader, sizes: () => sizes(backend, reader, server), ...settings, log });
    } finally {
      await reader.close();
    }
  } finally {
    await stopAllServers();
  }
  return { ingest, memory, ...(backend === 'sqlite' ? { memoryNoHeapLimit: await memoryWithoutHeapLimit(ctx) } : {}) };
}

/**
 * The memory runs again on a fresh server started without `npm start`'s --max-old-space-size,
 * to show what that flag does (SQLite only: on PostgreSQL the server's share is elsewhere).
 */
async function memoryWithoutHeapLimit(ctx: RunContext): Promise<MemoryResult | undefined> {
  const { settings, log } = ctx;
  try {
    const server = await startServer({ dataDir: path.join(ctx.dataDir, 'sqlite-no-heap-limit'), env: { ...ctx.serverEnv, NODE_OPTIONS: '' } });
    const reader = await openReader(server.env);
    try {
      log(`SQLite memory without the heap limit: topping a fresh server up to ${settings.targetEvents.toLocaleString('en')} events in three runs`);
      return await memoryRuns({ serverUrl: server.url, pid: server.child.pid ?? 0, reader, sizes: () => sizes('sqlite', reader, server), ...settings, log });
    } finally {
      await reader.close();
    }
  } catch (error) {
    log(`  memory without the heap limit failed: ${(error as Error).message}`);
    return undefined;
  } finally {
    await stopAllServers();
  }
}

async function runOutbound(
  backend: Backend,
  ctx: RunContext,
  redisUrl: string | null,
  peerFailed: (error: Error) => void,
): Promise<Pick<BackendResults, 'outbound' | 'outboundSkipped'>> {
  const { settings, log } = ctx;
  try {
    const sink = await ctx.sink();
    if (sink === null) return { outbound: null, outboundSkipped: ctx.outboundSkipped ?? 'skipped' };
    const sinkUrl = sink.url;
    log(
      `${LABEL[backend]} outbound: ${settings.rounds} rounds of ${settings.outboundPerRound.toLocaleString('en')} deliveries, ` +
        `alternated with a plain undici loop${redisUrl === null ? '' : ' and a BullMQ sender'}`,
    );
    const outbound = await outboundRounds({
      dataDir: path.join(ctx.dataDir, backend),
      databaseUrl: backend === 'postgres' ? await freshBenchDatabase() : undefined,
      sinkUrl,
      sinkPid: sink.pid,
      perRound: settings.outboundPerRound,
      rounds: settings.rounds,
      fetchPosts: settings.fetchPosts,
      inFlight: settings.outboundInFlight,
      peer: redisUrl === null ? undefined : (envelope) => startOutboundPeer({ redisUrl, sinkUrl, inFlight: settings.outboundInFlight, envelope }),
      peerFailed,
      log,
    });
    return { outbound };
  } catch (error) {
    log(`  outbound benchmark failed: ${(error as Error).message}`);
    return { outbound: null, outboundSkipped: `the run failed (${(error as Error).message})` };
  }
}
