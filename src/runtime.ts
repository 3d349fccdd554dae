import type express from 'express';
import { sql } from 'drizzle-orm';
import { createApp } from './app';
import { createTokenChecker } from './http/token-checker';
import { createInspector, LiveFeed, type Inspector } from './inspector';
import { SqliteJobQueue, Worker, type Resolver } from './delivery';
import { ApplyThread } from './apply-thread/host';
import { enqueueApply, serviceApplyHandler } from './apply-thread/handler';
import { ThreadIngestStore } from './apply-thread/ingest-store';
import { ensureDefaultsNow, feedbackRouter, FeedbackService, type FeedbackDefaults } from './feedback';
import { createOutbound, type Outbound } from './outbound';
import {
  entitlementsFor,
  entriesForEvent,
  reconciliationApiRouter,
  reconciliationPageRouter,
} from './ledger';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { AddressQuota, createKeyChecker, createReceiver, pruneRejected, SqliteIngestStore, type Receive } from './receiver';
import { createSpool, type SpoolParts } from './receiver/spool-setup';
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
  /** The receiver for reconciliation imports (admin API and the reconcile CLI): no webhook key, source "import". */
  importReceive: Receive;
  inspector: Inspector;
  /** Runs deliver-webhook jobs, apart from the inbound worker: a slow subscriber never takes its slots. */
  outboundWorker: Worker;
  outbound: Outbound;
  feedback: FeedbackService;
  /** The default project and channel, created on the first start. */
  feedbackDefaults: FeedbackDefaults;
  /** Deletes raw requests (rejected, accepted) and idle capture bins beyond the retention limits. */
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
  /** DNS for outbound subscriber hosts (tests map names to local addresses). */
  resolve?: Resolver;
  /**
   * Apply events on a worker thread with its own connection (main.ts, APPLY_THREAD): the ledger
   * work then runs on another core instead of between HTTP requests. Off by default, so tests
   * drive the in-process worker (whenIdle, a fake clock).
   */
  applyThread?: boolean;
}

const HOUR_MS = 3600 * 1000;

/** Longest a commit blocks the event loop waiting for another process's write lock before retrying later. */
const LOCK_POLL_MS = 10;

/**
 * Wires the service together: database, group committer, job queue, worker with the ledger's
 * handler, receiver and the HTTP app. main.ts serves it; integration tests build it on a temp file.
 */
export function buildRuntime(config: ResolvedConfig, options: RuntimeOptions): Runtime {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const database = openDatabase(config.databasePath, { busyTimeoutMs: config.busyTimeoutMs });
  // Lock waits happen between event-loop turns (the committer retries BEGIN), not asleep inside
  // SQLite: requests keep being read and answer budgets keep running while another process writes.
  database.sqlite.pragma(`busy_timeout = ${Math.min(config.busyTimeoutMs, LOCK_POLL_MS)}`);
  const committer = new GroupCommitter(database, { maxBatch: config.commitMaxBatch, busyRetryMs: config.busyTimeoutMs });
  const queue = new SqliteJobQueue();
  const metrics = createMetrics(() => queue.stats(database.db, clock.now()), { defaultMetrics: options.defaultMetrics });

  const outbound = createOutbound({
    committer,
    db: database.db,
    queue,
    clock,
    logger: logger.child({ component: 'outbound' }),
    registry: metrics.registry,
    config: config.outbound,
    resolve: options.resolve,
    notify: () => outboundWorker.notify(),
  });

  const onApplied = (receivedAt: number) => metrics.applyLatency.observe(Math.max(0, clock.now() - receivedAt) / 1000);
  const onDeliveries = () => outboundWorker.notify();
  const applyThread = options.applyThread
    ? new ApplyThread({
        data: {
          databasePath: config.databasePath,
          busyTimeoutMs: config.busyTimeoutMs,
          commitMaxBatch: config.commitMaxBatch,
          logLevel: config.logLevel,
          concurrency: config.worker.concurrency,
          leaseMs: config.worker.leaseMs,
          idlePollMs: config.worker.idlePollMs,
        },
        logger,
        onApplied: (latenciesMs) => {
          for (const ms of latenciesMs) metrics.applyLatency.observe(ms / 1000);
        },
        onDeliveries,
        onFinished: (kind, result) => metrics.jobsFinished.inc({ kind, result }),
        onStoreReplies: (replies) => threadStore?.settle(replies),
        onExit: () => threadStore?.failAll(new Error('the database thread exited')),
      })
    : null;
  const wakeApply = () => (applyThread ?? worker).notify();
  // With the apply thread, checkpoints (copying the WAL back into the database file, then a sync)
  // happen there: run by whichever connection commits past the threshold, one would otherwise
  // stop the HTTP thread for tens of milliseconds every few thousand webhooks.
  if (applyThread !== null) database.sqlite.pragma('wal_autocheckpoint = 0');

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
    // Only its own kinds: deliver-webhook jobs belong to the outbound worker.
    kinds: 'handled',
    // Refunds become feedback (and FEEDBACK_CREATION deliveries) in the apply transaction. With
    // the apply thread, the same handler runs there and this worker has no inbound kind to claim.
    handlers: applyThread ? [] : [serviceApplyHandler({ clock, emit: outbound.emit, onApplied, onDeliveries })],
    observer: {
      jobSucceeded: (kind) => metrics.jobsFinished.inc({ kind, result: 'succeeded' }),
      jobFailed: (kind, willRetry) => metrics.jobsFinished.inc({ kind, result: willRetry ? 'retry' : 'dead' }),
    },
  });

  const outboundWorker = new Worker({
    committer,
    db: database.db,
    queue,
    clock,
    logger: logger.child({ component: 'outbound-worker' }),
    concurrency: config.outbound.concurrency,
    perKeyConcurrency: config.outbound.endpointConcurrency,
    // Longer than an attempt can take, so a live attempt is never claimed twice.
    leaseMs: Math.max(config.worker.leaseMs, config.outbound.timeoutMs * 3),
    idlePollMs: config.worker.idlePollMs,
    random: options.random,
    kinds: 'handled',
    handlers: [outbound.handler],
    observer: {
      jobSucceeded: (kind) => metrics.jobsFinished.inc({ kind, result: 'succeeded' }),
      jobFailed: (kind, willRetry) => metrics.jobsFinished.inc({ kind, result: willRetry ? 'retry' : 'dead' }),
    },
  });

  const feedback = new FeedbackService({ committer, db: database.db, clock, emit: outbound.emit, notify: () => outboundWorker.notify() });
  const feedbackDefaults = ensureDefaultsNow(committer, clock.now(), { recordRefunds: config.outbound.recordRefunds, busyWaitMs: config.busyTimeoutMs });
  logger.info(
    { defaultProjectId: feedbackDefaults.projectId, defaultChannelId: feedbackDefaults.channelId, refundsChannelId: feedbackDefaults.refundsChannelId },
    'feedback: default project and channel',
  );

  const store = new SqliteIngestStore({ committer, db: database.db, clock, onStored: enqueueApply(queue) });
  // With the apply thread, webhooks are written by the thread's connection (spool restores stay here).
  const threadStore = applyThread ? new ThreadIngestStore(applyThread, store) : null;
  const ingestStore = threadStore ?? store;
  const spool: SpoolParts = createSpool({ dir: config.spool.dir, budgetMs: config.spool.answerBudgetMs, store, clock, logger, onStored: wakeApply });
  // The inspector's live stream exists before the receiver, which reports every request to it.
  const feed = new LiveFeed({ db: database.db });
  const receive = createReceiver({
    store: ingestStore,
    spool: spool.fallback,
    clock,
    checkKey: createKeyChecker(config.webhookKeys),
    // Per hour: so many keyless requests per address, and so many from all addresses together.
    unverified: {
      bodyBytes: config.retention.unverifiedBodyBytes,
      quota: new AddressQuota({ perWindow: config.retention.unverifiedPerAddress, windowMs: HOUR_MS, maxAddresses: 10_000 }),
      total: new AddressQuota({ perWindow: config.retention.unverifiedPerHour, windowMs: HOUR_MS, maxAddresses: 1 }),
    },
    onUnrecorded: (answer) => metrics.webhookUnrecorded.inc({ reason: answer.reason ?? 'unknown' }),
    onAccepted: wakeApply,
    onRecorded: (rawRequestId) => feed.recorded(rawRequestId),
    onAnswer: (route, answer) => {
      metrics.webhookRequests.inc({ route, outcome: answer.outcome });
      if (answer.outcome === 'duplicate') metrics.webhookDuplicates.inc({ route });
      if (answer.outcome === 'rejected' && answer.reason !== null) metrics.webhookRejections.inc({ reason: answer.reason });
    },
  });

  // Imports come from admins (the API or the local CLI), not from nachocode: no webhook key, but the
  // same validation, dedupe, store and inspector feed as a webhook.
  const importReceive = createReceiver({
    store: ingestStore,
    spool: spool.fallback,
    clock,
    checkKey: () => ({ ok: true, fingerprint: 'import' }),
    onAccepted: wakeApply,
    onRecorded: (rawRequestId) => feed.recorded(rawRequestId),
  });
  const reconciliation = { db: database.db, committer, clock, settings: config.reconciliation, importReceive };

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
    // Both workers, inbound and outbound, under one check: either stopped means not ready.
    checks.worker = worker.isRunning() && outboundWorker.isRunning() && (applyThread?.isRunning() ?? true) ? 'running' : 'stopped';
    return { ok: checks.database === 'writable' && checks.worker === 'running', checks };
  };

  const tokens = createTokenChecker({ secret: config.jwtSecret, clock, maxTtlSeconds: config.jwtMaxTtlSeconds, db: database.db, committer });
  const inspector = createInspector({
    db: database.db,
    committer,
    clock,
    receive,
    feed,
    entriesForEvent,
    tokens,
    publicUrl: config.publicUrl,
    bodyLimitBytes: config.bodyLimitBytes,
    limits: {
      accepted: { maxCount: config.inspector.acceptedMaxCount, maxAgeDays: config.inspector.acceptedMaxAgeDays },
      bins: {
        maxCount: config.inspector.binsMaxCount,
        maxAgeDays: config.inspector.binMaxAgeDays,
        maxRequests: config.inspector.binMaxRequests,
        maxBytes: config.inspector.binMaxBytes,
      },
    },
  });

  const app = createApp({
    db: database.db,
    clock,
    logger,
    metrics,
    receive,
    tokens,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: config.logRequests,
    readiness,
    entitlementsFor,
    entriesForEvent,
    inspector,
    apiRouters: [feedbackRouter(feedback), outbound.router, reconciliationApiRouter(reconciliation)],
    pageRouters: [reconciliationPageRouter({ ...reconciliation, tokens })],
  });

  if (options.startWorker ?? true) {
    worker.start();
    outboundWorker.start();
    applyThread?.start();
  }
  // A spool left by a previous process (the database was down when it stopped) goes in first.
  void spool.drainer.drain();

  return {
    app,
    database,
    committer,
    queue,
    worker,
    metrics,
    receive,
    importReceive,
    inspector,
    outboundWorker,
    outbound,
    feedback,
    feedbackDefaults,
    prune: async () =>
      (await committer.run((db) =>
        pruneRejected(db, { maxCount: config.retention.rejectedMaxCount, maxAgeDays: config.retention.rejectedMaxAgeDays }, clock.now()),
      )) + (await inspector.prune()),
    close: async (deadlineMs = config.shutdownTimeoutMs) => {
      // Live streams never end by themselves: close them so the HTTP server can finish.
      inspector.close();
      await Promise.all([worker.stop({ deadlineMs }), outboundWorker.stop({ deadlineMs }), applyThread?.stop(deadlineMs)]);
      await outbound.close();
      await spool.close();
      committer.close();
      database.close();
    },
  };
}
