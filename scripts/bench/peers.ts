import crypto from 'node:crypto';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { E2E_WEBHOOK_KEY } from '../../test/support/server';
import type { LagResult } from './lag';
import type { LoadResult } from './load';
import { ledgerLags } from './peer-ledger';
import { DELIVERY_JOB_OPTIONS, DRAIN_TIMEOUT_MS } from './peer-setup';
import { quantile, sleep } from './stats';
import { runHelper, startHelper, type BareServer } from './system';

// The BullMQ peers, what a Node team would build instead of iaphook, on a Redis that acknowledges
// a write once it is on disk (redis.ts): the ingest peer's receiver and ledger worker are processes
// of their own, the outbound peer's worker runs in the bench's process like the delivery core.

const INGEST_QUEUE = 'purchases';
const DELIVERY_QUEUE = 'deliveries';

/**
 * Whether the ingest peer's worker kept up with its receiver in one run, measured as iaphook's
 * (LagResult): the drain ends when the queue holds no waiting or active job.
 */
export type PeerLag = Pick<LagResult, 'applied' | 'p50' | 'p99' | 'drainMs' | 'pending' | 'samples'> & {
  /** Failed jobs in the queue so far, this run's and earlier ones' (BullMQ keeps them). */
  failed: number;
};

export type PeerIngestRun = Omit<LoadResult, 'acks'> & { lag: PeerLag };

export interface IngestPeer {
  url: string;
  /** After a load against url: waits for the worker's backlog to drain, then reads the lag of every 200. */
  settle(load: LoadResult, endedAt: number): Promise<PeerIngestRun>;
  stop(): Promise<void>;
}

/** Anything the bench must stop on its way out, Ctrl-C included. */
export type Track = <T extends { stop(): Promise<void> }>(helper: T) => T;

/** The receiver (Express 5 + Queue.add) and the ledger worker on the given Redis, ledger in dir. */
export async function startIngestPeer(options: { redisUrl: string; dir: string; track: Track }): Promise<IngestPeer> {
  const env = { REDIS_URL: options.redisUrl, QUEUE: INGEST_QUEUE, WEBHOOK_KEY: E2E_WEBHOOK_KEY };
  const ledgerPath = path.join(options.dir, 'peer-ledger.db');
  const worker = options.track(await runHelper('bullmq-ledger-worker', { ...env, LEDGER_PATH: ledgerPath }));
  let receiver: BareServer;
  try {
    receiver = options.track(await startHelper('bullmq-receiver', env));
  } catch (error) {
    await worker.stop();
    throw error;
  }
  const queue = new Queue(INGEST_QUEUE, { connection: { url: options.redisUrl } });
  const backlog = async () => queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized');
  return {
    url: receiver.url,
    settle: async ({ acks, ...load }, endedAt) => {
      const deadline = endedAt + DRAIN_TIMEOUT_MS;
      let pending = await backlog();
      while (pending > 0 && Date.now() < deadline) {
        await sleep(20);
        pending = await backlog();
      }
      const drainMs = Math.max(0, Date.now() - endedAt);
      const lags = ledgerLags(ledgerPath, acks);
      const failed = await queue.getJobCountByTypes('failed');
      return { ...load, lag: { applied: lags.length, p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), drainMs, pending, failed, samples: lags } };
    },
    stop: async () => {
      await queue.close();
      await Promise.all([receiver.stop(), worker.stop()]);
    },
  };
}

export interface OutboundPeer {
  /** n deliveries added with one addBulk; deliveries per second until the worker completed them all. */
  run(n: number): Promise<number>;
  /** Completed jobs kept in Redis with their result (the attempt log). */
  logged(): Promise<number>;
  close(): Promise<void>;
}

export interface OutboundPeerOptions {
  redisUrl: string;
  sinkUrl: string;
  inFlight: number;
  /** The event each job delivers. */
  envelope: unknown;
}

/**
 * The sender: a BullMQ worker, `inFlight` jobs at once, posting each job's event signed (Standard
 * Webhooks, as the delivery core signs) through an undici Pool, its result kept as the job's
 * return value in Redis.
 */
export async function startOutboundPeer(options: OutboundPeerOptions): Promise<OutboundPeer> {
  const connection = { url: options.redisUrl };
  const queue = new Queue(DELIVERY_QUEUE, { connection, defaultJobOptions: DELIVERY_JOB_OPTIONS });
  const pool = new Pool(options.sinkUrl, { connections: options.inFlight, pipelining: 1 });
  const signer = new Webhook(`whsec_${crypto.randomBytes(32).toString('base64')}`);
  const worker = new Worker(
    DELIVERY_QUEUE,
    async (job) => {
      const body = JSON.stringify(job.data);
      const msgId = `msg_${job.id}`;
      const at = new Date();
      const started = performance.now();
      const res = await pool.request({
        path: '/hook',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(msgId, at, body),
        },
        body,
      });
      const response = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`the endpoint answered ${res.statusCode}`);
      return { status: res.statusCode, ms: Math.round(performance.now() - started), response: response.slice(0, 1024) };
    },
    { connection, concurrency: options.inFlight },
  );
  let completed = 0;
  worker.on('completed', () => (completed += 1));
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  return {
    run: async (n) => {
      const started = performance.now();
      const target = completed + n;
      await queue.addBulk(Array.from({ length: n }, () => ({ name: 'deliver', data: options.envelope })));
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (completed < target) {
        if (Date.now() > deadline)
          throw new Error(`the BullMQ sender completed ${n - (target - completed)} of ${n} deliveries in ${DRAIN_TIMEOUT_MS / 1000} s`);
        await sleep(5);
      }
      return n / ((performance.now() - started) / 1000);
    },
    logged: () => queue.getJobCountByTypes('completed'),
    close: async () => {
      await worker.close();
      await queue.close();
      await pool.close();
    },
  };
}
