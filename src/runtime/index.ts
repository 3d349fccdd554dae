import type express from 'express';
import { createApp } from '../app';
import { SqlJobQueue, Worker, type JobQueue, type Resolver } from '../delivery';
import { ensureDefaults, feedbackRouter, FeedbackService, type FeedbackDefaults } from '../feedback';
import { createTokenChecker } from '../http/token-checker';
import { createInspector, LiveFeed, type Inspector } from '../inspector';
import { APPLY_EVENT_JOB, entitlementsFor, entriesForEvent, HeldEvents, heldEventsRouter } from '../ledger';
import type { Logger } from '../logger';
import { createMetrics, type Metrics } from '../metrics';
import { createOutbound, DELIVER_WEBHOOK_JOB, deliveryAttemptsForMessage, type Outbound } from '../outbound';
import { AddressQuota, createKeyChecker, createReceiver, identifyOldRejections, pruneRejected, type Receive } from '../receiver';
import { reconciliationApiRouter, reconciliationPageRouter } from '../reconciliation';
import type { ResolvedConfig } from '../secrets';
import { systemClock, type Clock } from '../shared/clock';
import { createSpool } from '../spool/setup';
import { openStorage, sql, type Storage } from '../storage';
import { entitlementEvents } from './entitlement-events';
import { enqueueApply } from './apply-worker';
import { createInbound, type Inbound } from './inbound';
import { claimPeriodicRun } from './periodic';

export interface Runtime {
  app: express.Express;
  storage: Storage;
  queue: JobQueue;
  /** The in-process inbound worker; null when SQLite's apply thread applies events. */
  worker: Worker | null;
  inbound: Inbound;
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
  /** prune(), unless another instance of the cluster did within the interval; null when skipped. */
  pruneIfDue(everyMs: number): Promise<number | null>;
  /** Identifies requests rejected before rejections carried their event and group (see rejection-backfill.ts). */
  identifyOldRejections(): Promise<number>;
  /** Stops the workers (finishing in-flight jobs), flushes pending writes and closes the database. */
  close(deadlineMs?: number): Promise<void>;
}

const HOUR_MS = 3600 * 1000;

export interface RuntimeOptions {
  clock?: Clock;
  logger: Logger;
  /** Start the workers now (tests sometimes drive them by hand). */
  startWorker?: boolean;
  defaultMetrics?: boolean;
  random?: () => number;
  /** DNS for outbound subscriber hosts (tests map names to local addresses). */
  resolve?: Resolver;
  /**
   * SQLite only: apply events on a worker thread with its own connection (main.ts, APPLY_THREAD),
   * so the ledger work runs on another core instead of between HTTP requests. Off by default, so
   * tests drive the in-process worker (whenIdle, a fake clock).
   */
  applyThread?: boolean;
}

/**
 * Wires the service: storage (the backend chosen by config), the delivery core, inbound and
 * outbound sides, receiver, inspector and the HTTP app. Each subsystem is built by one constructor;
 * this function only connects them. main.ts serves the result; tests build it on a fresh database.
 */
export async function buildRuntime(config: ResolvedConfig, options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const storage = await openStorage(config.database, {
    busyTimeoutMs: config.busyTimeoutMs,
    commitMaxBatch: config.commitMaxBatch,
    onError: (error, context) => logger.warn({ err: error, context }, 'database connection trouble'),
  });
  const queue = new SqlJobQueue(storage.claims);
  const metrics = createMetrics(() => queue.stats(storage.read, clock.now()), { defaultMetrics: options.defaultMetrics });
  // Work committed here is announced to the other instances sharing the database (PostgreSQL);
  // with SQLite there are none and publishing does nothing.
  const wakeOutbound = () => {
    outboundWorker.notify();
    storage.signals.publish('jobs', DELIVER_WEBHOOK_JOB);
  };
  const wakeApply = () => {
    inbound.notify();
    storage.signals.publish('jobs', APPLY_EVENT_JOB);
  };

  const outbound = createOutbound({
    storage,
    queue,
    clock,
    logger: logger.child({ component: 'outbound' }),
    registry: metrics.registry,
    config: config.outbound,
    resolve: options.resolve,
    notify: wakeOutbound,
    // As long as a lost wake-up of the job queue may take: the same worst case for both.
    audienceTtlMs: config.worker.idlePollMs,
    onSubscriptionsChanged: () => {
      inbound.subscriptionsChanged();
      storage.signals.publish('subscriptions', 'changed');
    },
  });
  const entitlementChanges = entitlementEvents(outbound.audience, outbound.emit);
  const inbound = await createInbound(config, {
    storage,
    queue,
    clock,
    logger,
    metrics,
    emit: outbound.emit,
    entitlementChanges,
    random: options.random,
    onDeliveries: wakeOutbound,
    applyThread: options.applyThread ?? false,
  });
  const outboundWorker = new Worker({
    storage,
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
      jobParked: (kind) => metrics.jobsFinished.inc({ kind, result: 'paused' }),
    },
  });

  const feedback = new FeedbackService({ storage, clock, emit: outbound.emit, notify: wakeOutbound });
  const feedbackDefaults = await storage.write((tx) => ensureDefaults(tx, clock.now(), { recordRefunds: config.outbound.recordRefunds }));
  logger.info(
    { defaultProjectId: feedbackDefaults.projectId, defaultChannelId: feedbackDefaults.channelId, refundsChannelId: feedbackDefaults.refundsChannelId },
    'feedback: default project and channel',
  );

  // The inspector's live stream exists before the receiver and the spool, which report every request to it.
  const feed = new LiveFeed({ db: storage.read });
  const recorded = (rawRequestId: string) => {
    feed.recorded(rawRequestId);
    storage.signals.publish('requests', rawRequestId);
  };
  // The spool is per instance, on local disk; it drains into the shared database.
  const spool = createSpool({
    dir: config.spool.dir,
    budgetMs: config.spool.answerBudgetMs,
    rejectedBudgetMs: config.spool.rejectedBudgetMs,
    store: inbound.localStore,
    clock,
    logger,
    onStored: wakeApply,
    onRecorded: recorded,
  });
  const receive = createReceiver({
    store: inbound.store,
    spool: spool.fallback,
    clock,
    checkKey: createKeyChecker(config.webhookKeys),
    onAccepted: wakeApply,
    onRecorded: recorded,
    // Per hour: so many keyless requests per address, and so many from all addresses together.
    unverified: {
      bodyBytes: config.retention.unverifiedBodyBytes,
      quota: new AddressQuota({ perWindow: config.retention.unverifiedPerAddress, windowMs: HOUR_MS, maxAddresses: 10_000 }),
      total: new AddressQuota({ perWindow: config.retention.unverifiedPerHour, windowMs: HOUR_MS, maxAddresses: 1 }),
    },
    onUnrecorded: (answer) => metrics.webhookUnrecorded.inc({ reason: answer.reason ?? 'unknown' }),
    onAnswer: (route, answer, durationMs) => {
      metrics.webhookRequests.inc({ route, outcome: answer.outcome });
      metrics.webhookAnswerDuration.observe({ route }, durationMs / 1000);
      if (answer.outcome === 'duplicate') metrics.webhookDuplicates.inc({ route });
      if (answer.outcome === 'rejected' && answer.reason !== null) metrics.webhookRejections.inc({ reason: answer.reason });
    },
  });
  // Imports come from admins (the API or the local CLI), not from nachocode: no webhook key, but the
  // same validation, dedupe, store and inspector feed as a webhook.
  const importReceive = createReceiver({
    store: inbound.store,
    spool: spool.fallback,
    clock,
    checkKey: () => ({ ok: true, fingerprint: 'import' }),
    onAccepted: wakeApply,
    onRecorded: recorded,
  });
  // What the other instances committed: wake the worker for it, show it in the live stream.
  const unsubscribe = [
    storage.signals.subscribe('jobs', (kind) => (kind === DELIVER_WEBHOOK_JOB ? outboundWorker.notify() : inbound.notify())),
    storage.signals.subscribe('requests', (id) => feed.recordedElsewhere(id)),
    storage.signals.subscribe('subscriptions', () => outbound.audience.changed()),
  ];
  // Consumptions (POST /api/users/:userId/consumptions) emit entitlement.updated in their transaction.
  const entitlements = { changed: entitlementChanges, queued: wakeOutbound };
  const reconciliation = { storage, clock, settings: config.reconciliation, importReceive, entitlements };
  const heldEvents = new HeldEvents({ storage, clock, enqueueApply: enqueueApply(queue), wake: wakeApply });

  const readiness = async () => {
    const checks: Record<string, string> = {};
    try {
      await storage.write((tx) =>
        tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('readyz', 'ok', ${clock.now()})
          ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at`),
      );
      checks.database = 'writable';
    } catch (error) {
      checks.database = `not writable: ${(error as Error).message}`;
    }
    // Both workers, inbound and outbound, under one check: either stopped means not ready.
    checks.worker = inbound.isRunning() && outboundWorker.isRunning() ? 'running' : 'stopped';
    return { ok: checks.database === 'writable' && checks.worker === 'running', checks };
  };

  const tokens = createTokenChecker({ secret: config.jwtSecret, clock, maxTtlSeconds: config.jwtMaxTtlSeconds, storage });
  const inspector = createInspector({
    storage,
    clock,
    receive,
    feed,
    onRecorded: recorded,
    entriesForEvent,
    deliveryAttempts: (messageId, binId) => deliveryAttemptsForMessage(storage.read, queue, messageId, binId),
    tokens,
    publicUrl: config.publicUrl,
    webhookKeys: config.webhookKeys,
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
    db: storage.read,
    clock,
    logger,
    metrics,
    receive,
    bodyLimitBytes: config.bodyLimitBytes,
    logRequests: config.logRequests,
    metricsToken: config.metricsToken,
    tokens,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    readiness,
    entitlementsFor,
    entriesForEvent,
    inspector,
    apiRouters: [feedbackRouter(feedback), outbound.router, reconciliationApiRouter(reconciliation), heldEventsRouter(heldEvents)],
    pageRouters: [reconciliationPageRouter({ ...reconciliation, tokens, publicUrl: config.publicUrl })],
  });

  if (options.startWorker ?? true) {
    inbound.start();
    outboundWorker.start();
  }
  // A spool left by a previous process (the database was down when it stopped) goes in first.
  void spool.drainer.drain();

  const prune = async () =>
    (await storage.write((tx) =>
      pruneRejected(tx, { maxCount: config.retention.rejectedMaxCount, maxAgeDays: config.retention.rejectedMaxAgeDays }, clock.now()),
    )) + (await inspector.prune());

  return {
    app,
    storage,
    queue,
    worker: inbound.worker,
    inbound,
    metrics,
    receive,
    importReceive,
    inspector,
    outboundWorker,
    outbound,
    feedback,
    feedbackDefaults,
    prune,
    identifyOldRejections: () => identifyOldRejections(storage),
    pruneIfDue: async (everyMs) => ((await claimPeriodicRun(storage, 'prune', everyMs, clock.now(), outboundWorker.id)) ? prune() : null),
    close: async (deadlineMs = config.shutdownTimeoutMs) => {
      // Live streams never end by themselves: close them so the HTTP server can finish.
      inspector.close();
      unsubscribe.forEach((stop) => stop());
      await Promise.all([inbound.stop(deadlineMs), outboundWorker.stop({ deadlineMs })]);
      await outbound.close();
      await spool.close();
      await storage.close();
    },
  };
}
