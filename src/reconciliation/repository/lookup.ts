import { inArray, sql } from 'drizzle-orm';
import { events } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';

export interface EventFactRow {
  id: string;
  type: string;
  dedupeKey: string;
  iapLogId: number | null;
  rawRequestId: string | null;
  status: string;
  source: string;
  payload: string;
}

const columns = {
  id: events.id,
  type: events.type,
  dedupeKey: events.dedupeKey,
  iapLogId: events.iapLogId,
  rawRequestId: events.rawRequestId,
  status: events.status,
  source: events.source,
  payload: events.payload,
};

// Well below SQLite's bound-parameter limit; one indexed IN lookup per chunk.
const CHUNK = 500;

export function eventsByIds(db: Db, ids: string[]): EventFactRow[] {
  const rows: EventFactRow[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    rows.push(...db.select(columns).from(events).where(inArray(events.id, ids.slice(i, i + CHUNK))).all());
  }
  return rows;
}

/** Events stored under these dedupe keys (the unique index makes each an index probe). */
export function eventsByDedupeKeys(db: Db, keys: string[]): EventFactRow[] {
  const rows: EventFactRow[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    rows.push(...db.select(columns).from(events).where(inArray(events.dedupeKey, keys.slice(i, i + CHUNK))).all());
  }
  return rows;
}

export interface RangeQuery {
  environment: string;
  type: 'purchase' | 'refund';
  from: number;
  to: number;
  /** Event id to continue after (ids are time-ordered ULIDs); null for the first page. */
  after: string | null;
  limit: number;
}

/**
 * A page of purchase or refund events whose own time (purchasedAt / refundedAt, from the payload)
 * is in the range, in id order. Walking the primary key with a cursor reads the table once over
 * all pages, whatever the page size. The unary + on environment keeps SQLite off the
 * (environment, iap_log_id) index: with it, every page re-read and re-sorted the whole
 * environment (11 s instead of well under one for 100,000 events).
 */
export function eventsInRange(db: Db, q: RangeQuery): Array<{ eventId: string; dedupeKey: string }> {
  const field = q.type === 'purchase' ? '$.purchasedAt' : '$.refundedAt';
  // Only the identity: the payload is filtered on inside SQLite, never copied out for every event.
  return db.all<{ eventId: string; dedupeKey: string }>(sql`
    SELECT id AS eventId, dedupe_key AS dedupeKey
    FROM events
    WHERE id > ${q.after ?? ''} AND type = ${q.type} AND +environment = ${q.environment}
      AND CAST(ROUND(unixepoch(json_extract(payload, ${field}), 'subsec') * 1000) AS INTEGER) BETWEEN ${q.from} AND ${q.to}
    ORDER BY id
    LIMIT ${q.limit}`);
}
