import { and, asc, eq, ne } from 'drizzle-orm';
import { events } from '../../../db/schema';
import type { Db } from '../../storage/database';
import type { LedgerEventStatus } from '../types';

export type EventRow = typeof events.$inferSelect;

export function findEvent(db: Db, eventId: string): EventRow | undefined {
  return db.select().from(events).where(eq(events.id, eventId)).get();
}

export interface StatusChange {
  status: LedgerEventStatus;
  now: number;
  error?: string | null;
}

/** applied_at is stamped only on `applied`; any other status clears it with the error replaced. */
export function setEventStatus(db: Db, eventId: string, change: StatusChange): void {
  db.update(events)
    .set({
      status: change.status,
      error: change.error ?? null,
      appliedAt: change.status === 'applied' ? change.now : null,
      updatedAt: change.now,
    })
    .where(eq(events.id, eventId))
    .run();
}

/**
 * Records a failed attempt unless the event is already applied: a duplicate job failing for an
 * unrelated reason must not make an applied event look unapplied.
 */
export function markEventFailed(db: Db, eventId: string, change: StatusChange): void {
  db.update(events)
    .set({ status: change.status, error: change.error ?? null, updatedAt: change.now })
    .where(and(eq(events.id, eventId), ne(events.status, 'applied')))
    .run();
}

/** Refunds parked until their purchase arrives; the caller orders them by refundedAt. */
export function findHeldRefunds(db: Db, environment: string, iapLogId: number): EventRow[] {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.type, 'refund'),
        eq(events.status, 'held'),
        eq(events.environment, environment),
        eq(events.iapLogId, iapLogId),
      ),
    )
    .orderBy(asc(events.receivedAt), asc(events.id))
    .all();
}
