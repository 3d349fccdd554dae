import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { events } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';
import { preparedPer } from '../../storage/sqlite/prepared';
import type { LedgerEventStatus } from '../types';

export type EventRow = typeof events.$inferSelect;

const p = (name: string) => sql.placeholder(name);

// Prepared once per connection: these run for every applied event.
const byId = preparedPer((db) => db.select().from(events).where(eq(events.id, p('id'))).prepare());
const statusUpdate = preparedPer((db) =>
  db
    .update(events)
    .set({ status: sql`${p('status')}`, error: sql`${p('error')}`, appliedAt: sql`${p('appliedAt')}`, updatedAt: sql`${p('now')}` })
    .where(eq(events.id, p('id')))
    .prepare(),
);
const heldRefunds = preparedPer((db) =>
  db
    .select()
    .from(events)
    .where(and(eq(events.type, 'refund'), eq(events.status, 'held'), eq(events.environment, p('environment')), eq(events.iapLogId, p('iapLogId'))))
    .orderBy(asc(events.receivedAt), asc(events.id))
    .prepare(),
);

export function findEvent(db: Db, eventId: string): EventRow | undefined {
  return byId(db).get({ id: eventId });
}

export interface StatusChange {
  status: LedgerEventStatus;
  now: number;
  error?: string | null;
}

/** applied_at is stamped only on `applied`; any other status clears it with the error replaced. */
export function setEventStatus(db: Db, eventId: string, change: StatusChange): void {
  statusUpdate(db).run({
    id: eventId,
    status: change.status,
    error: change.error ?? null,
    appliedAt: change.status === 'applied' ? change.now : null,
    now: change.now,
  });
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
  return heldRefunds(db).all({ environment, iapLogId });
}
