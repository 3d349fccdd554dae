import type { Queryable } from '../../storage/port';
import { fn, sql } from '../../storage/sql';

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

const FACT_COLUMNS = sql.raw(`id, type, dedupe_key AS "dedupeKey", iap_log_id AS "iapLogId", raw_request_id AS "rawRequestId",
  status, source, payload`);

// One bound parameter per list whatever its length; chunked so each lookup stays a bounded batch of
// index probes.
const CHUNK = 500;

async function eventsWhereIn(db: Queryable, column: 'id' | 'dedupe_key', values: string[]): Promise<EventFactRow[]> {
  const rows: EventFactRow[] = [];
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    rows.push(...(await db.all<EventFactRow>(sql`SELECT ${FACT_COLUMNS} FROM events WHERE ${fn.inList(sql.raw(column), chunk)}`)));
  }
  return rows;
}

export function eventsByIds(db: Queryable, ids: string[]): Promise<EventFactRow[]> {
  return eventsWhereIn(db, 'id', ids);
}

/** Events stored under these dedupe keys (the unique index makes each an index probe). */
export function eventsByDedupeKeys(db: Queryable, keys: string[]): Promise<EventFactRow[]> {
  return eventsWhereIn(db, 'dedupe_key', keys);
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

/** Ids walked per window: the planner reads a window from the primary key, however selective the filter. */
const WINDOW = 5000;

/**
 * A page of purchase or refund events whose own time (purchasedAt / refundedAt, from the payload)
 * is in the range, in id order. The table is walked along its primary key in windows of ids, and
 * each window is filtered: a planner asked for "the first 1,000 rows matching a filter on the
 * payload" otherwise guesses the filter's selectivity and may read and sort the whole rest of the
 * table for every page (seconds per page on 100,000 events, on either engine). The walk reads the
 * table once over all pages, whatever the page size.
 */
export async function eventsInRange(db: Queryable, q: RangeQuery): Promise<Array<{ eventId: string; dedupeKey: string }>> {
  const field = q.type === 'purchase' ? 'purchasedAt' : 'refundedAt';
  const found: Array<{ eventId: string; dedupeKey: string }> = [];
  let after = q.after ?? '';
  while (found.length < q.limit) {
    const window = sql`SELECT id, dedupe_key, type, environment, payload FROM events WHERE id > ${after} ORDER BY id LIMIT ${WINDOW}`;
    const last = await db.get<{ last: string | null }>(sql`SELECT max(w.id) AS last FROM (${window}) AS w`);
    if (last?.last === null || last?.last === undefined) break;
    // Only the identity: the payload is filtered on inside the database, never copied out for every event.
    const rows = await db.all<{ eventId: string; dedupeKey: string }>(sql`
      SELECT w.id AS "eventId", w.dedupe_key AS "dedupeKey" FROM (${window}) AS w
      WHERE w.type = ${q.type} AND w.environment = ${q.environment}
        AND ${fn.isoToMs(fn.jsonText(sql`w.payload`, field))} BETWEEN ${q.from} AND ${q.to}
      ORDER BY w.id
      LIMIT ${q.limit - found.length}`);
    found.push(...rows);
    after = last.last;
  }
  return found;
}
