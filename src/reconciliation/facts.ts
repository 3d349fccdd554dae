import type { Queryable } from '../storage/port';
import { comparableFields, identityKey, type LedgerFact, type RowIdentity, type RowType } from './compare';
import { eventsByDedupeKeys, eventsByIds, eventsInRange, type EventFactRow, type RangeQuery } from './repository/lookup';

function toFact(row: EventFactRow): LedgerFact {
  const type: RowType = row.type === 'refund' ? 'refund' : 'purchase';
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(row.payload) as Record<string, unknown>;
  } catch {
    // A row written by hand with a broken payload still proves the event exists; fields stay empty.
  }
  const refundedAt = type === 'refund' && typeof payload.refundedAt === 'string' ? new Date(payload.refundedAt).toISOString() : null;
  return {
    type,
    dedupeKey: row.dedupeKey,
    iapLogId: row.iapLogId ?? 0,
    refundedAt,
    eventId: row.id,
    rawRequestId: row.rawRequestId,
    status: row.status,
    source: row.source,
    fields: comparableFields(type, payload),
  };
}

/** The stored events for a batch of identities; an identity without one is simply absent. */
export async function lookupFacts(db: Queryable, identities: RowIdentity[]): Promise<LedgerFact[]> {
  return (await eventsByDedupeKeys(db, identities.map(identityKey))).map(toFact);
}

export async function factsByEventIds(db: Queryable, eventIds: string[]): Promise<LedgerFact[]> {
  return (await eventsByIds(db, eventIds)).map(toFact);
}

/** One page of the events in a range: identities only, since nearly all of them are in the file. */
export interface KeyPage {
  keys: Array<{ eventId: string; dedupeKey: string }>;
  nextCursor: string | null;
}

/** One row more than asked tells whether another page exists, so the last page says so itself. */
export async function listKeys(db: Queryable, query: RangeQuery): Promise<KeyPage> {
  const rows = await eventsInRange(db, { ...query, limit: query.limit + 1 });
  const keys = rows.length > query.limit ? rows.slice(0, query.limit) : rows;
  return { keys, nextCursor: rows.length > query.limit ? keys[keys.length - 1].eventId : null };
}
