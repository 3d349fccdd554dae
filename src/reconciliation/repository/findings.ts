import type { Queryable } from '../../storage/port';
import { fn, sql, type Sql } from '../../storage/sql';

export interface FindingBounds {
  environment: string;
  from: number;
  to: number;
  limit: number;
  /** List acknowledged anomalies too (counts always tell both apart). */
  includeAcknowledged: boolean;
}

/** The acknowledgement joined to a finding (as k), or nulls. */
export interface AckColumns {
  ackBy: string | null;
  ackReason: string | null;
  ackAt: number | null;
}

/** Exact counts of a code's findings, and how many of them are acknowledged. */
export interface FindingCount {
  n: number;
  acked: number;
}

const ackColumns = sql`k.acknowledged_by AS "ackBy", k.reason AS "ackReason", k.acknowledged_at AS "ackAt"`;
const ackJoin = (anomalyId: Sql) => sql`LEFT JOIN anomaly_acknowledgements k ON k.anomaly_id = ${anomalyId}`;
const listed = (b: FindingBounds) => (b.includeAcknowledged ? sql`1 = 1` : sql`k.anomaly_id IS NULL`);
const toCount = (row: { n: number; acked: number } | undefined): FindingCount => ({ n: Number(row?.n ?? 0), acked: Number(row?.acked ?? 0) });

export interface RecordedAnomalyRow extends AckColumns {
  /** Its anomaly_key: unique per cause, so the same across report runs. */
  anomalyId: string;
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
const recordedWhere = (b: FindingBounds) => sql`(a.environment = ${b.environment} OR a.environment IS NULL) AND a.created_at BETWEEN ${b.from} AND ${b.to}`;
const recordedFrom = sql`anomalies a ${ackJoin(sql`a.anomaly_key`)}`;

/** The newest `limit` of each code recorded at apply or receive time. */
export function recordedAnomalies(db: Queryable, b: FindingBounds): Promise<RecordedAnomalyRow[]> {
  return db.all<RecordedAnomalyRow>(sql`
    SELECT "anomalyId", code, environment, "userId", "productId", "eventId", "rawRequestId", details, "createdAt", "ackBy", "ackReason", "ackAt" FROM (
      SELECT a.anomaly_key AS "anomalyId", a.code, a.environment, a.user_id AS "userId", a.product_id AS "productId", a.event_id AS "eventId",
             a.raw_request_id AS "rawRequestId", a.details, a.created_at AS "createdAt", a.id, ${ackColumns},
             row_number() OVER (PARTITION BY a.code ORDER BY a.created_at DESC, a.id DESC) AS rn
      FROM ${recordedFrom} WHERE ${recordedWhere(b)} AND ${listed(b)}
    ) AS ranked WHERE rn <= ${b.limit}
    ORDER BY "createdAt" DESC, id DESC`);
}

export async function recordedCounts(db: Queryable, b: FindingBounds): Promise<Array<{ code: string } & FindingCount>> {
  const rows = await db.all<{ code: string; n: number; acked: number }>(
    sql`SELECT a.code, count(*) AS n, count(k.anomaly_id) AS acked FROM ${recordedFrom} WHERE ${recordedWhere(b)} GROUP BY a.code`,
  );
  return rows.map((r) => ({ code: r.code, ...toCount(r) }));
}

/** Whether an anomaly was recorded under this key (any environment, any time). */
export async function recordedExists(db: Queryable, anomalyKey: string): Promise<string | null> {
  return (await db.get<{ code: string }>(sql`SELECT code FROM anomalies WHERE anomaly_key = ${anomalyKey}`))?.code ?? null;
}

export interface EventFindingRow extends AckColumns {
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
const orphanCore = (cutoff: number) => sql`type = 'refund' AND status = 'held'
    AND (held_for IS NULL OR ${heldForReason} <> 'unknown_value')
    AND NOT EXISTS (SELECT 1 FROM events AS p WHERE p.type = 'purchase' AND p.status = 'held'
      AND p.environment = events.environment AND p.iap_log_id = events.iap_log_id)
    AND received_at <= ${cutoff}`;

/** Events held for a value iaphook does not know, at once: only an admin can release them. */
const unknownValueCore = () => sql`status = 'held' AND ${heldForReason} = 'unknown_value'`;

function unknownValueWhere(b: FindingBounds) {
  return sql`${unknownValueCore()} AND environment = ${b.environment} AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

/** Accepted but not applied: waiting past the threshold, or dead (retries exhausted) at any age. */
const stuckCore = (cutoff: number) => sql`status IN ('received', 'failed', 'dead') AND (status = 'dead' OR received_at <= ${cutoff})`;

function orphanWhere(b: FindingBounds, cutoff: number) {
  return sql`${orphanCore(cutoff)} AND environment = ${b.environment} AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

function stuckWhere(b: FindingBounds, cutoff: number) {
  return sql`${stuckCore(cutoff)} AND (environment = ${b.environment} OR environment IS NULL) AND received_at BETWEEN ${b.from} AND ${b.to}`;
}

/** The findings the report computes from an event's state. */
export type EventFindingCode = 'orphan_refund' | 'unknown_value' | 'stuck_event';

/** Found at report time for an event: its id is the code and the event's id. */
export const eventAnomalyId = (code: EventFindingCode, eventId: string) => `${code}:${eventId}`;

async function eventFindings(db: Queryable, code: EventFindingCode, where: Sql, b: FindingBounds): Promise<{ rows: EventFindingRow[]; count: FindingCount }> {
  // The code is a constant of ours, so it is part of the text rather than a parameter PostgreSQL must type.
  const from = sql`events ${ackJoin(sql`${sql.raw(`'${code}:'`)} || events.id`)}`;
  const rows = await db.all<EventFindingRow>(
    sql`SELECT ${eventColumns}, ${ackColumns} FROM ${from} WHERE ${where} AND ${listed(b)} ORDER BY received_at DESC, id DESC LIMIT ${b.limit}`,
  );
  const count = await db.get<{ n: number; acked: number }>(sql`SELECT count(*) AS n, count(k.anomaly_id) AS acked FROM ${from} WHERE ${where}`);
  return { rows: rows.map(toEventFinding), count: toCount(count) };
}

export function orphanRefunds(db: Queryable, b: FindingBounds, cutoff: number): Promise<{ rows: EventFindingRow[]; count: FindingCount }> {
  return eventFindings(db, 'orphan_refund', orphanWhere(b, cutoff), b);
}

export function unknownValueEvents(db: Queryable, b: FindingBounds): Promise<{ rows: EventFindingRow[]; count: FindingCount }> {
  return eventFindings(db, 'unknown_value', unknownValueWhere(b), b);
}

export function stuckEvents(db: Queryable, b: FindingBounds, cutoff: number): Promise<{ rows: EventFindingRow[]; count: FindingCount }> {
  return eventFindings(db, 'stuck_event', stuckWhere(b, cutoff), b);
}

/** Whether the event is an orphan refund (or stuck) now, whatever its environment and time. */
export async function eventFindingExists(db: Queryable, code: EventFindingCode, eventId: string, cutoff: number): Promise<boolean> {
  const where = code === 'orphan_refund' ? orphanCore(cutoff) : code === 'unknown_value' ? unknownValueCore() : stuckCore(cutoff);
  return (await db.get(sql`SELECT id FROM events WHERE id = ${eventId} AND ${where}`)) !== undefined;
}

/** One request of a group of rejections: the newest few are the group's examples. */
export interface RejectedRow {
  id: string;
  grp: string;
  receivedAt: number;
  method: string;
  path: string;
  status: number;
  reason: string | null;
  dedupeKey: string | null;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  iapLogId: number | null;
}

/** Near-identical rejections collapsed: how many, when, and the newest few of them. */
export interface RejectedGroup extends AckColumns {
  grp: string;
  n: number;
  firstSeen: number;
  lastSeen: number;
  examples: RejectedRow[];
}

/** A group of rejections is one anomaly; requests from before groups existed are each their own. */
export const rejectedAnomalyId = (group: string) => `rejected_request:${group}`;

/** Example request ids listed per group. */
const EXAMPLES = 3;

// The body is stored bytes and may be anything (malformed JSON is the very thing rejected here):
// fn.bodyField reads a field only from a body that is a JSON object, null otherwise.
const bodyField = (field: string) => fn.bodyField(sql`body`, field);

/**
 * Stored but not accepted POSTs to the webhook routes (capture bins excluded), leaving out those
 * whose event has been stored since (replayed, resent with the right key, imported): that one is
 * not lost. A body naming the other environment is left out; one naming none (unparseable, say)
 * is shown in both reports. The path matches case-insensitively, as the router does.
 */
function rejectedQuery(b: FindingBounds) {
  return sql`SELECT * FROM (
      SELECT id, coalesce(rejection_group, id) AS grp, received_at AS "receivedAt", method, path, status, reason, dedupe_key AS "dedupeKey",
             ${bodyField('environment')} AS environment, ${bodyField('userId')} AS "userId",
             ${bodyField('productId')} AS "productId", ${bodyField('iapLogId')} AS "iapLogId"
      FROM raw_requests
      WHERE outcome = 'rejected' AND bin_id IS NULL AND method = 'POST' AND ${fn.likeInsensitive(sql`path`, '/webhooks/%')}
        AND received_at BETWEEN ${b.from} AND ${b.to}
        AND NOT (dedupe_key IS NOT NULL AND EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key = raw_requests.dedupe_key))
    ) AS r
    WHERE r.environment IS NULL OR r.environment NOT IN ('sandbox', 'production') OR r.environment = ${b.environment}`;
}

/**
 * The groups with their acknowledgement. A group stays acknowledged only while nothing new joined
 * it: a rejection after the acknowledgement opens it again (the old one is still shown).
 */
function groupsQuery(b: FindingBounds) {
  return sql`SELECT g.grp, g.n, g."firstSeen", g."lastSeen", ${ackColumns},
      CASE WHEN k.anomaly_id IS NOT NULL AND k.acknowledged_at >= g."lastSeen" THEN 1 ELSE 0 END AS acked
    FROM (
      SELECT r.grp, count(*) AS n, min(r."receivedAt") AS "firstSeen", max(r."receivedAt") AS "lastSeen" FROM (${rejectedQuery(b)}) AS r GROUP BY r.grp
    ) AS g ${ackJoin(sql`${sql.raw(`'rejected_request:'`)} || g.grp`)}`;
}

export async function rejectedGroups(db: Queryable, b: FindingBounds): Promise<{ groups: RejectedGroup[]; count: FindingCount }> {
  const groups = await db.all<Omit<RejectedGroup, 'examples'>>(
    sql`SELECT * FROM (${groupsQuery(b)}) AS q WHERE ${b.includeAcknowledged ? sql`1 = 1` : sql`q.acked = 0`}
      ORDER BY q."lastSeen" DESC, q.grp DESC LIMIT ${b.limit}`,
  );
  const count = await db.get<{ n: number; acked: number }>(sql`SELECT count(*) AS n, sum(q.acked) AS acked FROM (${groupsQuery(b)}) AS q`);
  const examples = new Map<string, RejectedRow[]>();
  if (groups.length > 0) {
    const rows = await db.all<RejectedRow>(sql`SELECT * FROM (
        SELECT r.*, row_number() OVER (PARTITION BY r.grp ORDER BY r."receivedAt" DESC, r.id DESC) AS rn
        FROM (${rejectedQuery(b)}) AS r WHERE ${fn.inList(
          sql`r.grp`,
          groups.map((g) => g.grp),
        )}
      ) AS x WHERE rn <= ${EXAMPLES} ORDER BY x."receivedAt" DESC, x.id DESC`);
    for (const row of rows) {
      const typed: RejectedRow = {
        id: row.id,
        grp: row.grp,
        receivedAt: Number(row.receivedAt),
        method: row.method,
        path: row.path,
        status: row.status,
        reason: row.reason,
        dedupeKey: row.dedupeKey,
        environment: textOrNull(row.environment),
        userId: textOrNull(row.userId),
        productId: textOrNull(row.productId),
        iapLogId: numberOrNull(row.iapLogId),
      };
      examples.set(row.grp, [...(examples.get(row.grp) ?? []), typed]);
    }
  }
  return {
    groups: groups.map((g) => ({ ...g, n: Number(g.n), firstSeen: Number(g.firstSeen), lastSeen: Number(g.lastSeen), examples: examples.get(g.grp) ?? [] })),
    count: toCount(count),
  };
}

/** Whether a group (or, for a request from before groups, that request) of rejections exists. */
export async function rejectedGroupExists(db: Queryable, group: string): Promise<boolean> {
  const row = await db.get(
    sql`SELECT id FROM raw_requests WHERE outcome = 'rejected' AND (rejection_group = ${group} OR (rejection_group IS NULL AND id = ${group})) LIMIT 1`,
  );
  return row !== undefined;
}
