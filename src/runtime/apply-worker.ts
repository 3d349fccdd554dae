import type { Logger } from 'pino';
import { inboundApplyPolicy, Worker, type JobHandler, type JobQueue, type WorkerObserver } from '../delivery';
import { recordRefunds } from '../feedback';
import { APPLY_EVENT_JOB, createApplyHandler, type ApplyJobPayload, type OnEntitlementChanges } from '../ledger';
import type { Emit } from '../outbound';
import type { Clock } from '../shared/clock';
import type { Storage, Tx } from '../storage/port';
import type { Sql } from '../storage/sql';

export interface ServiceApplyDeps {
  clock: Clock;
  emit: Emit;
  /** After the commit, once per event that became applied. */
  onApplied(receivedAt: number): void;
  /** After the commit of an apply that queued outbound deliveries (refunds as feedback, entitlement.updated): wake their worker. */
  onDeliveries(): void;
  /** entitlement.updated for what the apply changed, in its transaction (see entitlement-events.ts). */
  entitlementChanges: OnEntitlementChanges;
}

const applyJob = (eventId: string) => ({ kind: APPLY_EVENT_JOB, payload: { eventId }, policy: inboundApplyPolicy });

/** An event's apply job, in the caller's transaction (a held event released). */
export function enqueueApply(queue: JobQueue) {
  return async (tx: Tx, eventId: string, now: number): Promise<void> => {
    await queue.enqueue(tx, applyJob(eventId), now);
  };
}

/**
 * A new event's apply job as the ingest store sends it: with a condition (the event was inserted
 * by the statement sent with it), queued only where it holds.
 */
export function storedApplyJob(queue: JobQueue) {
  return (eventId: string, now: number, stored: Sql): Sql => queue.enqueueStatement(applyJob(eventId), now, stored);
}

/**
 * The inbound apply handler as the service runs it, wherever it runs (in process, on SQLite's
 * apply thread): applying an event also records its refunds as feedback (with their outbound
 * events) and emits entitlement.updated for what it changed, in the same transaction. One
 * definition, so every way of running it stays the same.
 */
export function serviceApplyHandler(deps: ServiceApplyDeps): JobHandler<ApplyJobPayload> {
  // Events whose apply queued deliveries, between the commit and afterSuccess: the deliveries'
  // worker is woken only once they are committed, and only when there are some.
  const queuedDeliveries = new Set<string>();
  return createApplyHandler({
    clock: deps.clock,
    onApplied: (eventId, receivedAt) => {
      deps.onApplied(receivedAt);
      if (queuedDeliveries.delete(eventId)) deps.onDeliveries();
    },
    onCommit: async (tx, result, now) => {
      // First, so its balance lock comes before the refunds' feedback locks, in every apply alike.
      const announced = await deps.entitlementChanges(tx, result.changes, now);
      const refunds = result.applied.filter((a) => a.type === 'refund').map((a) => a.eventId);
      const recorded = refunds.length > 0 && (await recordRefunds({ tx, emit: deps.emit, now }, refunds)) > 0;
      // One wake for the job: at the first event it applied.
      const first = result.applied[0];
      if ((recorded || announced) && first !== undefined) queuedDeliveries.add(first.eventId);
    },
  });
}

export interface ApplyWorkerDeps extends ServiceApplyDeps {
  storage: Pick<Storage, 'read' | 'write' | 'writesInParallel'>;
  queue: JobQueue;
  logger: Logger;
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
  workerId?: string;
  random?: () => number;
  observer?: WorkerObserver;
}

/** The worker that applies received events to the ledger (apply-iap-event jobs only). */
export function createApplyWorker(deps: ApplyWorkerDeps): Worker {
  return new Worker({
    storage: deps.storage,
    queue: deps.queue,
    clock: deps.clock,
    logger: deps.logger,
    concurrency: deps.concurrency,
    leaseMs: deps.leaseMs,
    idlePollMs: deps.idlePollMs,
    workerId: deps.workerId,
    random: deps.random,
    kinds: 'handled',
    handlers: [serviceApplyHandler(deps)],
    observer: deps.observer,
  });
}
