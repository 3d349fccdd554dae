import type { Logger } from 'pino';
import type { Worker, JobQueue } from '../delivery';
import type { Metrics } from '../metrics';
import type { OnEntitlementChanges } from '../ledger';
import type { Emit } from '../outbound';
import { StorageIngestStore, type IngestStore } from '../receiver';
import type { ResolvedConfig } from '../secrets';
import type { Clock } from '../shared/clock';
import type { Storage } from '../storage/port';
import type { SqliteStorage } from '../storage/sqlite/storage';
import { createApplyWorker, storedApplyJob } from './apply-worker';

/** Where webhooks are written and who applies them to the ledger. */
export interface Inbound {
  /** The receiver's writes. */
  store: IngestStore;
  /** Writes on this thread's own connection: the spool drains through it even while a thread restarts. */
  localStore: IngestStore;
  /** The in-process apply worker; null when SQLite's apply thread does the work. */
  worker: Worker | null;
  /** New events committed: apply them now. Returns at once. */
  notify(): void;
  /** A subscription was saved or deleted: the applier asks again whether anyone wants entitlement.updated. */
  subscriptionsChanged(): void;
  isRunning(): boolean;
  start(): void;
  stop(deadlineMs: number): Promise<void>;
}

export interface InboundDeps {
  storage: Storage;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  emit: Emit;
  /** entitlement.updated in the in-process worker's applies (the apply thread builds its own). */
  entitlementChanges: OnEntitlementChanges;
  random?: () => number;
  /** Applies queued outbound deliveries (refunds as feedback): wake the outbound worker. */
  onDeliveries(): void;
  /** SQLite only: run the ingest writes and the applies on a worker thread with its own connection. */
  applyThread: boolean;
}

/**
 * The inbound side, one constructor for every set-up. In process, one worker applies events. With
 * SQLite and APPLY_THREAD, a worker thread with its own connection takes the receiver's writes and
 * the applies (their fsyncs and SQL then run on the other core); PostgreSQL has no use for it, its
 * driver waits on the network, not on the CPU, so it never loads the thread's code.
 */
export async function createInbound(config: ResolvedConfig, deps: InboundDeps): Promise<Inbound> {
  const { storage, queue, clock, logger, metrics } = deps;
  const localStore = new StorageIngestStore({ storage, clock, storedJob: storedApplyJob(queue) });
  const observer = {
    jobSucceeded: (kind: string) => metrics.jobsFinished.inc({ kind, result: 'succeeded' }),
    jobFailed: (kind: string, willRetry: boolean) => metrics.jobsFinished.inc({ kind, result: willRetry ? 'retry' : 'dead' }),
  };
  if (deps.applyThread && storage.backend === 'sqlite' && config.database.backend === 'sqlite') {
    return sqliteApplyThread(config, deps, localStore);
  }
  const worker = createApplyWorker({
    storage,
    queue,
    clock,
    logger: logger.child({ component: 'worker' }),
    concurrency: config.worker.concurrency,
    leaseMs: config.worker.leaseMs,
    idlePollMs: config.worker.idlePollMs,
    random: deps.random,
    emit: deps.emit,
    entitlementChanges: deps.entitlementChanges,
    onApplied: (receivedAt) => metrics.applyLatency.observe(Math.max(0, clock.now() - receivedAt) / 1000),
    onDeliveries: deps.onDeliveries,
    observer,
  });
  return {
    store: localStore,
    localStore,
    worker,
    notify: () => worker.notify(),
    // The worker shares the runtime's audience, which the subscription's save already told.
    subscriptionsChanged: () => undefined,
    isRunning: () => worker.isRunning(),
    start: () => worker.start(),
    stop: (deadlineMs) => worker.stop({ deadlineMs }),
  };
}

async function sqliteApplyThread(config: ResolvedConfig, deps: InboundDeps, localStore: IngestStore): Promise<Inbound> {
  const { ApplyThread } = await import('../storage/sqlite/apply-thread/host');
  const { ThreadIngestStore } = await import('../storage/sqlite/apply-thread/ingest-store');
  const { metrics } = deps;
  let threadStore: InstanceType<typeof ThreadIngestStore> | null = null;
  const thread = new ApplyThread({
    data: {
      databasePath: config.databasePath,
      busyTimeoutMs: config.busyTimeoutMs,
      commitMaxBatch: config.commitMaxBatch,
      logLevel: config.logLevel,
      concurrency: config.worker.concurrency,
      leaseMs: config.worker.leaseMs,
      idlePollMs: config.worker.idlePollMs,
    },
    logger: deps.logger,
    onApplied: (latenciesMs) => {
      for (const ms of latenciesMs) metrics.applyLatency.observe(ms / 1000);
    },
    onDeliveries: deps.onDeliveries,
    onFinished: (kind, result) => metrics.jobsFinished.inc({ kind, result }),
    onStoreReplies: (replies) => threadStore?.settle(replies),
    onExit: () => threadStore?.failAll(new Error('the database thread exited')),
  });
  threadStore = new ThreadIngestStore(thread);
  // Checkpoints (copying the WAL back into the database file, then a sync) happen on the thread's
  // side: run by whichever connection commits past the threshold, one would otherwise stop the
  // HTTP thread for tens of milliseconds every few thousand webhooks.
  (deps.storage as SqliteStorage).sqlite.pragma('wal_autocheckpoint = 0');
  return {
    store: threadStore,
    localStore,
    worker: null,
    notify: () => thread.notify(),
    subscriptionsChanged: () => thread.subscriptionsChanged(),
    isRunning: () => thread.isRunning(),
    start: () => thread.start(),
    stop: (deadlineMs) => thread.stop(deadlineMs),
  };
}
