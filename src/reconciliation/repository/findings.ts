import type { Queryable } from '../../storage/port';
import { fn, sql, type Sql } from '../../storage/sql';

export interface FindingBounds {
  environment: string;
  from: number;
  to: number;
  limit: number;
}

export interface RecordedAnomalyRow {
  code: string;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  eventId: string | null;
  rawRequestId: string | null;
  details: string;
  createdAt: number;
}

/**
 * A JSON field read as text (PostgreSQL's ->> gives text even for a number, SQLite's json_extract a
 * number) as the number it holds, so both backends give the same type; null when it holds none.
 */
export function numberOrNull(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A JSON field as text or null: a number SQLite hands back as a number becomes its text, as on PostgreSQL. */
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

// Anomalies without an environment (none today) are shown in both reports rather than hidden.
const recordedWhere = (b: FindingBounds) =>
  sql`(environment = ${b.environment} OR environment IS NULL) AND created_at BETWEEN ${b.from} AND ${b.to}`;

/** The newest `limit` of each code recorded at apply or receive time. */
export function recordedAnomalies(db: Queryable, b: FindingBounds): Promise<RecordedAnomalyRow[]> {
  return db.all<RecordedAnomalyRow>(sql`
    SELECT code, environment, "userId", "productId", "eventId", "rawRequestId", details, "createdAt" FROM (
      SELECT code, environment, user_id AS "userId", product_id AS "productId", event_id AS "eventId",
             raw_request_id AS "rawRequestId", details, created_at AS "createdAt", id,
             row_number() OVER (PARTITION BY code ORDER BY created_at DESC, id DESC) AS rn
      FROM anomalies WHERE ${recordedWhere(b)}
    ) AS ranked WHERE rn <= ${b.limit}
    ORDER BY "createdAt" DESC, id DESC`);
}

export function recordedCounts(db: Queryable, b: FindingBounds): Promise<Array<{ code: string; n: number }>> {
  return db.all(sql`SELECT code, count(*) AS n FROM anomalies WHERE ${recordedWhere(b)} GROUP BY code`);
}

export interface EventFindingRow {
  id: string;
  type: string;
  status: string;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  iapLogId: number | null;
  rawRequestId: string | null;
  error: string | null;
  receivedAt: number;
  refundQuantity: number | null;
  refundedAt: string | null;
  /** Why a held event waits (JSON text), null otherwise. */
  heldFor: string | null;
}

// Payload fields as text (a hand-written payload with a non-number refundQuantity must not fail the
// whole report on PostgreSQL, where a cast would), typed in JS below.
const eventColumns = sql`id, type, status, environment, user_id AS "userId", product_id AS "productId", iap_log_id AS "iapLogId",
  raw_request_id AS "rawRequestId", error, received_at AS "receivedAt", held_for AS "heldFor",
  ${fn.jsonText(sql`payload`, 'refundQuantity')} AS "refundQuantity", ${fn.jsonText(sql`payload`, 'refundedAt')} AS "refundedAt"`;

const toEventFinding = (row: EventFindingRow): EventFindingRow => ({
  ...row,
  refundQuantity: numberOrNull(row.refundQuantity),
  refundedAt: textOrNull(row.refundedAt),
});

const heldForReason = fn.jsonText(sql`held_for`, 'reason');

/**
 * Refunds held longer than the grace period: their purchase has not arrived. A refund held for a
 * value it carries, or whose purchase arrived but is held itself, is reported as unknown_value.
 */
function orphanWhere(b: FindingBounds, cutoff: number) {
  return sql`type = 'refund' AND status = 'held' AND environment = ${b.environment}
    AND (held_for IS NULL OR ${heldForReason} <> 'unknown_value')
    AND NOT EXISTS (SELECT 1 FROM events AS p WHERE p.type = 'purchase' AND p.status = 'held'
      AND p.environment = events.environment AND p.iap_log_id = events.iap_log_id)
    AND received_at <= ${cutoff} AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

/** Events held for a value iaphook does not know, at once: only an admin can release them. */
function unknownValueWhere(b: FindingBounds) {
  return sql`status = 'held' AND ${heldForReason} = 'unknown_value' AND environment = ${b.environment}
    AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

/** Accepted but not applied: waiting past the threshold, or dead (retries exhausted) at any age. */
function stuckWhere(b: FindingBounds, cutoff: number) {
  return sql`status IN ('received', 'failed', 'dead') AND (environment = ${b.environment} OR environment IS NULL)
    AND (status = 'dead' OR received_at <= ${cutoff}) AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

async function eventFindings(db: Queryable, where: Sql, limit: number): Promise<{ rows: EventFindingRow[]; count: number }> {
  const rows = await db.all<EventFindingRow>(sql`SELECT ${eventColumns} FROM events WHERE ${where} ORDER BY received_at DESC, id DESC LIMIT ${limit}`);
  const count = (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM events WHERE ${where}`))?.n ?? 0;
  return { rows: rows.map(toEventFinding), count };
}

export function orphanRefunds(db: Queryable, b: FindingBounds, cutoff: number): Promise<{ rows: EventFindingRow[]; count: number }> {
  return eventFindings(db, orphanWhere(b, cutoff), b.limit);
}

export function unknownValueEvents(db: Queryable, b: FindingBounds): Promise<{ rows: EventFindingRow[]; count: number }> {
  return eventFindings(db, unknownValueWhere(b), b.limit);
}

export function stuckEvents(db: Queryable, b: FindingBounds, cutoff: number): Promise<{ rows: EventFindingRow[]; count: number }> {
  return eventFindings(db, stuckWhere(b, cutoff), b.limit);
}

export interface RejectedRow {
  id: string;
  receivedAt: number;
  method: string;
  path: string;
  status: number;
  reason: string | null;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  iapLogId: number | null;
}

// The body is stored bytes and may be anything (malformed JSON is the very thing rejected here):
// fn.bodyField reads a field only from a body that is a JSON object, null otherwise.
const bodyField = (field: string) => fn.bodyField(sql`body`, field);

/**
 * Stored but not accepted POSTs to the webhook routes (capture bins excluded). A body naming the
 * other environment is left out; one naming none (unparseable, say) is shown in both reports.
 * The path matches case-insensitively, as the router does (and SQLite's LIKE always did).
 */
function rejectedQuery(b: FindingBounds) {
  return sql`SELECT * FROM (
      SELECT id, received_at AS "receivedAt", method, path, status, reason,
             ${bodyField('environment')} AS environment, ${bodyField('userId')} AS "userId",
             ${bodyField('productId')} AS "productId", ${bodyField('iapLogId')} AS "iapLogId"
      FROM raw_requests
      WHERE outcome = 'rejected' AND bin_id IS NULL AND method = 'POST' AND ${fn.likeInsensitive(sql`path`, '/webhooks/%')}
        AND received_at BETWEEN ${b.from} AND ${b.to}
    ) AS r
    WHERE r.environment IS NULL OR r.environment NOT IN ('sandbox', 'production') OR r.environment = ${b.environment}`;
}

export async function rejectedRequests(db: Queryable, b: FindingBounds): Promise<{ rows: RejectedRow[]; count: number }> {
  const rows = await db.all<RejectedRow>(sql`${rejectedQuery(b)} ORDER BY r."receivedAt" DESC, r.id DESC LIMIT ${b.limit}`);
  const count = (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM (${rejectedQuery(b)}) AS c`))?.n ?? 0;
  const typed = rows.map((r) => ({
    ...r,
    environment: textOrNull(r.environment),
    userId: textOrNull(r.userId),
    productId: textOrNull(r.productId),
    iapLogId: numberOrNull(r.iapLogId),
  }));
  return { rows: typed, count };
}
