import { sql } from 'drizzle-orm';
import type { Db } from '../../storage/sqlite/database';

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

// Anomalies without an environment (none today) are shown in both reports rather than hidden.
const recordedWhere = (b: FindingBounds) =>
  sql`(environment = ${b.environment} OR environment IS NULL) AND created_at BETWEEN ${b.from} AND ${b.to}`;

/** The newest `limit` of each code recorded at apply or receive time. */
export function recordedAnomalies(db: Db, b: FindingBounds): RecordedAnomalyRow[] {
  return db.all<RecordedAnomalyRow>(sql`
    SELECT code, environment, userId, productId, eventId, rawRequestId, details, createdAt FROM (
      SELECT code, environment, user_id AS userId, product_id AS productId, event_id AS eventId,
             raw_request_id AS rawRequestId, details, created_at AS createdAt, id,
             row_number() OVER (PARTITION BY code ORDER BY created_at DESC, id DESC) AS rn
      FROM anomalies WHERE ${recordedWhere(b)}
    ) WHERE rn <= ${b.limit}
    ORDER BY createdAt DESC, id DESC`);
}

export function recordedCounts(db: Db, b: FindingBounds): Array<{ code: string; n: number }> {
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
}

const eventColumns = sql.raw(`id, type, status, environment, user_id AS userId, product_id AS productId, iap_log_id AS iapLogId,
  raw_request_id AS rawRequestId, error, received_at AS receivedAt,
  json_extract(payload, '$.refundQuantity') AS refundQuantity, json_extract(payload, '$.refundedAt') AS refundedAt`);

/** Refunds held longer than the grace period: their purchase has not arrived. */
function orphanWhere(b: FindingBounds, cutoff: number) {
  return sql`type = 'refund' AND status = 'held' AND environment = ${b.environment}
    AND received_at <= ${cutoff} AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

/** Accepted but not applied: waiting past the threshold, or dead (retries exhausted) at any age. */
function stuckWhere(b: FindingBounds, cutoff: number) {
  return sql`status IN ('received', 'failed', 'dead') AND (environment = ${b.environment} OR environment IS NULL)
    AND (status = 'dead' OR received_at <= ${cutoff}) AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

export function orphanRefunds(db: Db, b: FindingBounds, cutoff: number): { rows: EventFindingRow[]; count: number } {
  const where = orphanWhere(b, cutoff);
  return {
    rows: db.all<EventFindingRow>(sql`SELECT ${eventColumns} FROM events WHERE ${where} ORDER BY received_at DESC LIMIT ${b.limit}`),
    count: db.get<{ n: number }>(sql`SELECT count(*) AS n FROM events WHERE ${where}`)?.n ?? 0,
  };
}

export function stuckEvents(db: Db, b: FindingBounds, cutoff: number): { rows: EventFindingRow[]; count: number } {
  const where = stuckWhere(b, cutoff);
  return {
    rows: db.all<EventFindingRow>(sql`SELECT ${eventColumns} FROM events WHERE ${where} ORDER BY received_at DESC LIMIT ${b.limit}`),
    count: db.get<{ n: number }>(sql`SELECT count(*) AS n FROM events WHERE ${where}`)?.n ?? 0,
  };
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

// The body is a BLOB; SQLite reads a BLOB given to json_* as JSONB, so it is cast to text first,
// and json_valid guards json_extract, which fails on malformed JSON (the very thing rejected here).
const bodyField = (field: string) =>
  sql.raw(`CASE WHEN json_valid(CAST(body AS TEXT)) THEN json_extract(CAST(body AS TEXT), '$.${field}') END`);

/**
 * Stored but not accepted POSTs to the webhook routes (capture bins excluded). A body naming the
 * other environment is left out; one naming none (unparseable, say) is shown in both reports.
 */
function rejectedQuery(b: FindingBounds) {
  return sql`SELECT * FROM (
      SELECT id, received_at AS receivedAt, method, path, status, reason,
             ${bodyField('environment')} AS environment, ${bodyField('userId')} AS userId,
             ${bodyField('productId')} AS productId, ${bodyField('iapLogId')} AS iapLogId
      FROM raw_requests
      WHERE outcome = 'rejected' AND bin_id IS NULL AND method = 'POST' AND path LIKE '/webhooks/%'
        AND received_at BETWEEN ${b.from} AND ${b.to}
    ) AS r
    WHERE r.environment IS NULL OR r.environment NOT IN ('sandbox', 'production') OR r.environment = ${b.environment}`;
}

export function rejectedRequests(db: Db, b: FindingBounds): { rows: RejectedRow[]; count: number } {
  return {
    rows: db.all<RejectedRow>(sql`${rejectedQuery(b)} ORDER BY r.receivedAt DESC LIMIT ${b.limit}`),
    count: db.get<{ n: number }>(sql`SELECT count(*) AS n FROM (${rejectedQuery(b)})`)?.n ?? 0,
  };
}
