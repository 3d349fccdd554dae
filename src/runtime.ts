import type express from 'express';
import { sql } from 'drizzle-orm';
import { createApp } from './app';
import { inboundApplyPolicy, SqliteJobQueue, Worker } from './delivery';
import { APPLY_EVENT_JOB, createApplyHandler, entitlementsFor, entriesForEvent } from './ledger';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createKeyChecker, createReceiver, pruneRejected, SqliteIngestStore, type Receive } from './receiver';
import type { ResolvedConfig } from './secrets';
import { systemClock, type Clock } from './shared/clock';
import { openDatabase, type Database } from './storage/database';
import { GroupCommitter } from './storage/group-commit';

export interface Runtime {
  app: express.Express;
  database: Database;
  committer: GroupCommitter;
  queue: SqliteJobQueue;
  worker: Worker;
  metrics: Metrics;
  receive: Receive;
  /** Deletes rejected raw requests beyond the retention limits. */
  prune(): Promise<number>;
  /** Stops the worker (finishing in-flight jobs), flushes pending writes and closes the database. */
  close(deadlineMs?: number): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  logger: Logger;
  /** Start the worker now (tests sometimes drive it by hand). */
  startWorker?: boolean;
  defaultMetrics?: boolean;
  random?: () => number;
}

/**
 * Wires the service together: database, group committer, job queue, worker with the ledger's
 * handler, receiver and the HTTP app. main.ts serves it; integration tests build it on a temp file.
 */
export function buildRuntime(config: ResolvedConfig, options: RuntimeOptions): Runtime {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const database = openDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs });
  const committer = new GroupCommitter(database, { maxBatch: config.commitMaxBatch });
  const queue = new SqliteJobQueue();
  const metrics = createMetrics(() => queue.stats(database.db, clock.now()), { defaultMetrics: options.defaultMetrics });

  const worker = new Worker({
    committer,
    db: database.db,
    queue,
    clock,
    logger: logger.child({ component: 'worker' }),
    concurrency: config.worker.concurrency,
    leaseMs: config.worker.leaseMs,
    idlePollMs: config.worker.idlePollMs,
    random: options.random,
    handlers: [
      createApplyHandler({
        clock,
        onApplied: (_eventId, receivedAt) => metrics.applyLatency.observe(Math.max(0, clock.now() - receivedAt) / 1000),
      }),
    ],
    observer: {
      jobSucceeded: (kind) => metrics.jobsFinished.inc({ kind, result: 'succeeded' }),
      jobFailed: (kind, willRetry) => metrics.jobsFinished.inc({ kind, result: willRetry ? 'retry' : 'dead' }),
    },
  });

  const store = new SqliteIngestStore({
    committer,
    db: database.db,
    clock,
    onStored: (db, eventId, now) => {
      queue.enqueue(db, { kind: APPLY_EVENT_JOB, payload: { eventId }, policy: inboundApplyPolicy }, now);
    },
  });
  const receive = createReceiver({
    store,
    clock,
    checkKey: createKeyChecker(config.webhookKeys),
    onAccepted: () => worker.notify(),
    onAnswer: (route, answer) => {
      metrics.webhookRequests.inc({ route, outcome: answer.outcome });
      if (answer.outcome === 'duplicate') metrics.webhookDuplicates.inc({ route });
      if (answer.outcome === 'rejected' && answer.reason !== null) metrics.webhookRejections.inc({ reason: answer.reason });
    },
  });

  const readiness = async () => {
    const checks: Record<string, string> = {};
    try {
      await committer.run((db) => {
        db.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('readyz', 'ok', ${clock.now()})
                   ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at`);
      });
      checks.database = 'writable';
    } catch (error) {
      checks.database = `not writable: ${(error as Error).message}`;
    }
    checks.worker = worker.isRunning() ? 'running' : 'stopped';
    return { ok: checks.database === 'writable' && checks.worker === 'running', checks };
  };

  const app = createApp({
    db: database.db,
    clock,
    logger,
    metrics,
    receive,
    jwtSecret: config.jwtSecret,
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: config.logRequests,
    readiness,
    entitlementsFor,
    entriesForEvent,
  });

  if (options.startWorker ?? true) worker.start();

  return {
    app,
    database,
    committer,
    queue,
    worker,
    metrics,
    receive,
    prune: () =>
      committer.run((db) =>
        pruneRejected(db, { maxCount: config.retention.rejectedMaxCount, maxAgeDays: config.retention.rejectedMaxAgeDays }, clock.now()),
      ),
    close: async (deadlineMs = config.shutdownTimeoutMs) => {
      await worker.stop({ deadlineMs });
      committer.close();
      database.close();
    },
  };
}
