import type { Queryable } from '../storage/port';
import { sql } from '../storage/sql';
import type { ValueRef } from '../nachocode';

/** A stored event as the API, the ledger and reconciliation read it. */
export interface EventRow {
  id: string;
  /** purchase | refund | unavailable_users */
  type: string;
  environment: string | null;
  dedupeKey: string;
  contentHash: string;
  /** The parsed body as JSON, unknown fields included. */
  payload: string;
  userId: string | null;
  productId: string | null;
  iapLogId: number | null;
  /** received | held | applied | failed | dead */
  status: string;
  /** Why a held event waits (JSON, see the ledger's HeldFor); null when it does not, or was held before this was recorded. */
  heldFor: string | null;
  error: string | null;
  rawRequestId: string | null;
  /** webhook | replay | import */
  source: string;
  receivedAt: number;
  appliedAt: number | null;
  updatedAt: number;
}

/** Why a held event waits, as stored in events.held_for. */
export type HeldFor = { reason: 'awaiting_purchase' } | { reason: 'unknown_value'; values: ValueRef[] };

/** events.held_for as stored; a held event without one (held before it was recorded) waits for its purchase. */
export function heldForOf(status: string, heldFor: string | null): HeldFor | null {
  if (status !== 'held') return null;
  if (heldFor === null) return { reason: 'awaiting_purchase' };
  try {
    return JSON.parse(heldFor) as HeldFor;
  } catch {
    return { reason: 'awaiting_purchase' };
  }
}

/** Every column of an events row, named as EventRow names them. */
export const EVENT_COLUMNS = sql.raw(`id, type, environment, dedupe_key AS "dedupeKey", content_hash AS "contentHash", payload,
  user_id AS "userId", product_id AS "productId", iap_log_id AS "iapLogId", status, held_for AS "heldFor", error, raw_request_id AS "rawRequestId", source,
  received_at AS "receivedAt", applied_at AS "appliedAt", updated_at AS "updatedAt"`);

export interface EventFilter {
  type?: string;
  status?: string;
  userId?: string;
  environment?: string;
  cursor?: string;
  limit: number;
}

/** Newest first; the id is a monotonic ULID, so "id < cursor" pages without offsets. */
export async function listEvents(db: Queryable, filter: EventFilter): Promise<{ rows: EventRow[]; nextCursor: string | null }> {
  const where = sql.and([
    filter.type === undefined ? undefined : sql`type = ${filter.type}`,
    filter.status === undefined ? undefined : sql`status = ${filter.status}`,
    filter.userId === undefined ? undefined : sql`user_id = ${filter.userId}`,
    filter.environment === undefined ? undefined : sql`environment = ${filter.environment}`,
    filter.cursor === undefined ? undefined : sql`id < ${filter.cursor}`,
  ]);
  const rows = await db.all<EventRow>(sql`SELECT ${EVENT_COLUMNS} FROM events WHERE ${where} ORDER BY id DESC LIMIT ${filter.limit + 1}`);
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  return { rows: page, nextCursor: more ? page[page.length - 1].id : null };
}

export function getEvent(db: Queryable, id: string): Promise<EventRow | undefined> {
  return db.get<EventRow>(sql`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ${id}`);
}
