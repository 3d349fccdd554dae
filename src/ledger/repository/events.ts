import { EVENT_COLUMNS, type EventRow } from '../../receiver';
import type { Queryable, Tx } from '../../storage/port';
import { fn, sql } from '../../storage/sql';
import type { LedgerEventStatus } from '../types';

export type { EventRow };

export function findEvent(db: Queryable, eventId: string): Promise<EventRow | undefined> {
  return db.get<EventRow>(sql`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ${eventId}`);
}

export interface StatusChange {
  status: LedgerEventStatus;
  now: number;
  error?: string | null;
  /** Why a held event waits (JSON-serialisable); cleared by any other change. */
  heldFor?: object | null;
}

/** applied_at is stamped only on `applied`; any other status clears it with the error and hold reason replaced. */
export async function setEventStatus(tx: Tx, eventId: string, change: StatusChange): Promise<void> {
  const appliedAt = change.status === 'applied' ? change.now : null;
  const heldFor = change.heldFor === undefined || change.heldFor === null ? null : JSON.stringify(change.heldFor);
  await tx.run(sql`UPDATE events SET status = ${change.status}, error = ${change.error ?? null}, applied_at = ${appliedAt},
    held_for = ${heldFor}, updated_at = ${change.now} WHERE id = ${eventId}`);
}

/**
 * Records a failed attempt unless the event is already applied: a duplicate job failing for an
 * unrelated reason must not make an applied event look unapplied.
 */
export async function markEventFailed(tx: Tx, eventId: string, change: StatusChange): Promise<void> {
  await tx.run(sql`UPDATE events SET status = ${change.status}, error = ${change.error ?? null}, updated_at = ${change.now}
    WHERE id = ${eventId} AND status <> 'applied'`);
}

/** Refunds parked until their purchase arrives (or for a value, checked again by the caller); the caller orders them by refundedAt. */
export function findHeldRefunds(db: Queryable, environment: string, iapLogId: number): Promise<EventRow[]> {
  return db.all<EventRow>(sql`SELECT ${EVENT_COLUMNS} FROM events
    WHERE type = 'refund' AND status = 'held' AND environment = ${environment} AND iap_log_id = ${iapLogId}
    ORDER BY received_at, id`);
}

/**
 * Events held for an unknown value of this field, oldest first: a new mapping for the value
 * queues them again. The field is one of the schema's enumerated fields, never user input.
 */
export function findHeldForValue(db: Queryable, field: string, value: string): Promise<Array<{ id: string }>> {
  return db.all<{ id: string }>(sql`SELECT id FROM events
    WHERE status = 'held' AND ${fn.jsonText(sql`held_for`, 'reason')} = 'unknown_value' AND ${fn.jsonText(sql`payload`, field)} = ${value}
    ORDER BY received_at, id`);
}
