import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { Pool } from 'undici';
import feedbackCreation from '../../test/fixtures/abc/feedback-creation.json';
import { loadConfig } from '../../src/config';
import { signToken } from '../../src/http/tokens';
import { buildRuntime, type Runtime } from '../../src/runtime';
import { resolveSecrets } from '../../src/secrets';
import { sql } from '../../src/storage';
import { CpuTally, type CpuPerItem } from './cpu';
import type { OutboundPeer } from './peers';
import { median, sleep } from './stats';

export interface OutboundResult {
  perRound: number;
  /** peer: the BullMQ sender's deliveries/s, when the peers ran. */
  rounds: Array<{ core: number; undici: number; peer?: number }>;
  deliveriesPerSec: number;
  undiciPerSec: number;
  fetchPerSec: number;
  /** Attempts in the attempt log for the deliveries made (one each when nothing failed). */
  attemptsLogged: number;
  deliveries: number;
  /** Completed BullMQ jobs kept in Redis with their result, when the peers ran. */
  peerLogged?: number;
  /** One more core run at the default OUTBOUND_ENDPOINT_CONCURRENCY (the rounds lift it to inFlight). */
  defaultCap?: { perKey: number; deliveriesPerSec: number };
  /** CPU per delivery (the core's rounds) and per post (the undici loop's), summed over the rounds; null without /proc. */
  cpu: { core: CpuPerItem; undici: CpuPerItem } | null;
}

export interface OutboundOptions {
  dataDir: string;
  /** PostgreSQL: the (fresh) database to run on; without it SQLite at outbound.db in dataDir. */
  databaseUrl?: string;
  sinkUrl: string;
  /** The sink's process, whose CPU each post costs too. */
  sinkPid: number;
  perRound: number;
  rounds: number;
  fetchPosts: number;
  inFlight: number;
  /** Starts the BullMQ sender, delivering the same event to the same sink; alternated with the core. */
  peer?: (envelope: unknown) => Promise<OutboundPeer>;
  /** The peer failed: it is left out of the later rounds, the rest goes on. */
  peerFailed?(error: Error): void;
  log(line: string): void;
}

const JWT_SECRET = 'bench-jwt-secret-that-is-long-enough-0123456789';
const body = JSON.stringify(feedbackCreation);

/** n posts of the same body, `inFlight` at a time, through `post`; posts per second. */
async function lanes(n: number, inFlight: number, post: () => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < n) {
      next += 1;
      await post();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return n / ((performance.now() - started) / 1000);
}

/**
 * The delivery core (the real runtime in this process: outbox, claim, HTTP attempt, durable attempt
 * log) against a plain pooled undici loop posting the same body to the same keep-alive sink and,
 * when given, the BullMQ sender, alternated, and once against a global-fetch loop. The sink runs in
 * its own process.
 */
export async function outboundRounds(options: OutboundOptions): Promise<OutboundResult> {
  const runtime = await buildOutboundRuntime(outboundConfig(options));
  const server = http.createServer(runtime.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = new Pool(options.sinkUrl, { connections: options.inFlight, pipelining: 1 });
  let peer: OutboundPeer | undefined;
  const peerFailed = async (error: unknown): Promise<undefined> => {
    await peer?.close().catch(() => undefined);
    peer = undefined;
    options.peerFailed?.(error as Error);
    return undefined;
  };
  try {
    peer = await options.peer?.(feedbackCreation).catch(peerFailed);
    const projectId = runtime.feedbackDefaults.projectId;
    await createWebhook(server, projectId, `${options.sinkUrl}/hook`);
    runtime.outboundWorker.start();
    // On PostgreSQL the core's statements run in server processes on the same cores: the backends
    // of this database (only the runtime's pool connects to it) count with each delivery.
    const databasePids =
      options.databaseUrl === undefined
        ? undefined
        : async () =>
            (
              await runtime.storage.read.all<{ pid: number }>(
                sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`,
              )
            ).map((r) => r.pid);
    const coreCpu = new CpuTally([options.sinkPid], databasePids);
    const undiciCpu = new CpuTally([options.sinkPid], databasePids);
    const perRound = () => options.perRound;
    const core = () => coreCpu.measure(() => coreRun(runtime, projectId, options.perRound), perRound);
    const undici = () =>
      undiciCpu.measure(
        () =>
          lanes(options.perRound, options.inFlight, async () => {
            const res = await pool.request({ path: '/hook', method: 'POST', headers: { 'content-type': 'application/json' }, body });
            await res.body.text();
          }),
        perRound,
      );
    const bullmq = async () => {
      try {
        return await peer?.run(options.perRound);
      } catch (error) {
        return peerFailed(error);
      }
    };
    const rounds: OutboundResult['rounds'] = [];
    for (let i = 0; i < options.rounds; i++) {
      const round: OutboundResult['rounds'][number] = { core: 0, undici: 0 };
      const runs = [
        async () => (round.core = await core()),
        async () => (round.undici = await undici()),
        async () => {
          const perSec = await bullmq();
          if (perSec !== undefined) round.peer = perSec;
        },
      ];
      for (const run of i % 2 === 0 ? runs : runs.reverse()) await run();
      rounds.push(round);
      const versusPeer = round.peer === undefined ? '' : ` | BullMQ sender ${Math.round(round.peer)}/s (core/peer ${(round.core / round.peer).toFixed(2)})`;
      options.log(
        `  round ${i + 1}: delivery core ${Math.round(round.core)}/s | undici pool ${Math.round(round.undici)}/s (ratio ${(round.core / round.undici).toFixed(2)})${versusPeer}`,
      );
    }
    const fetchPerSec = await lanes(options.fetchPosts, options.inFlight, async () => {
      const res = await fetch(`${options.sinkUrl}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.text();
    });
    options.log(`  global fetch, ${options.inFlight} in flight: ${Math.round(fetchPerSec)}/s`);
    const counts = (await runtime.storage.read.get<{ deliveries: number; attempts: number }>(
      sql`SELECT count(DISTINCT j.id) AS deliveries, count(a.id) AS attempts FROM jobs j LEFT JOIN job_attempts a ON a.job_id = j.id WHERE j.kind = 'deliver-webhook'`,
    )) ?? { deliveries: 0, attempts: 0 };
    const defaultCap = await defaultCapRun(runtime, options, projectId);
    const [coreUs, undiciUs] = [coreCpu.perItem(), undiciCpu.perItem()];
    return {
      defaultCap,
      cpu: coreUs === null || undiciUs === null ? null : { core: coreUs, undici: undiciUs },
      perRound: options.perRound,
      rounds,
      deliveriesPerSec: median(rounds.map((r) => r.core)),
      undiciPerSec: median(rounds.map((r) => r.undici)),
      fetchPerSec,
      attemptsLogged: counts.attempts,
      deliveries: counts.deliveries,
      ...(peer === undefined ? {} : { peerLogged: await peer.logged() }),
    };
  } finally {
    await peer?.close();
    await pool.close();
    server.close();
    await runtime.close(5000);
  }
}

/** Emits perRound events in one transaction, then waits until every delivery is done; deliveries/s. */
async function coreRun(runtime: Runtime, projectId: number, perRound: number): Promise<number> {
  // Whether any delivery is open, polled every few milliseconds in the core's own process: each
  // state on its own, as the partial job indexes serve them. A count over both states read the
  // whole jobs table each time, finished jobs included: on SQLite half the SQL time of the core's
  // thread (86 of 176 µs per delivery).
  const open = async () =>
    (
      await runtime.storage.read.get<{ n: number }>(sql`SELECT CASE WHEN
      EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND kind = 'deliver-webhook')
      OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND kind = 'deliver-webhook') THEN 1 ELSE 0 END AS n`)
    )?.n ?? 0;
  const started = performance.now();
  await runtime.storage.write(async (tx) => {
    const now = Date.now();
    for (let i = 0; i < perRound; i++) await runtime.outbound.emit(tx, { projectId, envelope: feedbackCreation as never }, now);
  });
  runtime.outboundWorker.notify();
  while ((await open()) > 0) await sleep(5);
  return perRound / ((performance.now() - started) / 1000);
}

/**
 * The same delivery run with the per-endpoint cap as shipped: a second runtime on the same
 * database and subscription, started once the first has stopped its worker.
 */
async function defaultCapRun(first: Runtime, options: OutboundOptions, projectId: number): Promise<OutboundResult['defaultCap']> {
  await first.outboundWorker.stop({ deadlineMs: 5000 });
  const config = outboundConfig(options, false);
  const runtime = await buildOutboundRuntime(config);
  try {
    runtime.outboundWorker.start();
    const perKey = config.outbound.endpointConcurrency;
    const deliveriesPerSec = await coreRun(runtime, projectId, options.perRound);
    options.log(`  at the default per-endpoint cap (${perKey}): delivery core ${Math.round(deliveriesPerSec)}/s`);
    return { perKey, deliveriesPerSec };
  } finally {
    await runtime.close(5000);
  }
}

function outboundConfig(options: OutboundOptions, liftCap = true) {
  return loadConfig({
    NODE_ENV: 'development',
    DATABASE_PATH: path.join(options.dataDir, 'outbound.db'),
    DATABASE_URL: options.databaseUrl,
    NACHOCODE_WEBHOOK_KEYS: 'bench-webhook-key-0001-aaaaaaaa',
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    LOG_REQUESTS: 'false',
    OUTBOUND_CONCURRENCY: String(options.inFlight),
    ...(liftCap ? { OUTBOUND_ENDPOINT_CONCURRENCY: String(Math.min(100, options.inFlight)) } : {}),
  });
}

/**
 * The runtime as the server builds it (on SQLite, the database thread and its checkpointer: the
 * HTTP thread's connection then never checkpoints inside a commit), with the outbound worker
 * started by the caller once the subscription exists.
 */
async function buildOutboundRuntime(config: ReturnType<typeof loadConfig>): Promise<Runtime> {
  const resolved = resolveSecrets(config).config;
  const runtime = await buildRuntime(resolved, {
    logger: pino({ level: 'silent' }),
    startWorker: false,
    defaultMetrics: false,
    applyThread: resolved.applyThread,
  });
  runtime.inbound.start();
  return runtime;
}

async function createWebhook(server: http.Server, projectId: number, url: string): Promise<void> {
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/api/projects/${projectId}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${signToken(JWT_SECRET, { role: 'admin' })}` },
    body: JSON.stringify({ name: 'bench sink', url, status: 'ACTIVE', events: [{ type: 'FEEDBACK_CREATION', status: 'ACTIVE' }] }),
  });
  if (res.status !== 201) throw new Error(`creating the bench webhook failed: ${res.status} ${await res.text()}`);
}
