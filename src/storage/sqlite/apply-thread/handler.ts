import { eq, sql } from 'drizzle-orm';
import { events } from '../schema';
import { inboundApplyPolicy, type JobHandler, type JobQueue } from '../../../delivery';
import { recordRefunds } from '../../../feedback';
import { APPLY_EVENT_JOB, createApplyHandler, type ApplyJobPayload } from '../../../ledger';
import type { Emit } from '../../../outbound';
import type { Clock } from '../../../shared/clock';
import type { Db } from '../database';
import { preparedPer } from '../prepared';

export interface ServiceApplyDeps {
  clock: Clock;
  emit: Emit;
  /** After the commit, once per event that became applied. */
  onApplied(receivedAt: number): void;
  /** After the commit of an apply that queued outbound deliveries (refunds as feedback): wake their worker. */
  onDeliveries(): void;
}

/** The ingest store's onStored: a new event's apply job, in the same transaction as the event. */
export function enqueueApply(queue: JobQueue) {
  return (db: Db, eventId: string, now: number): void => {
    queue.enqueue(db, { kind: APPLY_EVENT_JOB, payload: { eventId }, policy: inboundApplyPolicy }, now);
  };
}

const typeOf = preparedPer((db) => db.select({ type: events.type }).from(events).where(eq(events.id, sql.placeholder('id'))).prepare());
const isRefund = (db: Db, eventId: string) => typeOf(db).get({ id: eventId })?.type === 'refund';

/**
 * The inbound apply handler as the service runs it, in process or in the apply thread: applying
 * an event also records its refunds as feedback (with their outbound events) in the same
 * transaction. One definition, so both ways of running it stay the same. Only refunds are handed
 * on: recordRefunds reads each event back to find out, which cost a tenth of every purchase's apply.
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
    onCommit: (db, result, now) => {
      const refunds = result.applied.map((a) => a.eventId).filter((id) => isRefund(db, id));
      if (refunds.length > 0 && recordRefunds({ db, emit: deps.emit, now }, refunds) > 0) refunds.forEach((id) => queuedDeliveries.add(id));
    },
  });
}
