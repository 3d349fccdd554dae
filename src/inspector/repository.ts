import type { Queryable } from '../storage/port';
import { fn, sql, type Sql } from '../storage/sql';
import { afterConditions, filterConditions, pageConditions, type RequestFilter } from './filters';

// The inspector's reads of raw_requests (bins-repository.ts and retention.ts hold its writes).

/** A raw_requests row: every request to /webhooks/* and /bins/*, exactly as received. */
export interface RawRequestRow {
  id: string;
  receivedAt: number;
  method: string;
  path: string;
  query: string | null;
  /** JSON object of header name → value, secrets masked. */
  headers: string;
  /** The exact body bytes, so a replay sends what the sender sent. */
  body: Buffer | null;
  bodySize: number;
  /** Set when only the first bytes of the body are kept (a request that failed the key check): the SHA-256 of all of it. */
  bodySha256: string | null;
  contentType: string | null;
  remoteAddr: string | null;
  requestId: string | null;
  keyFingerprint: string | null;
  status: number;
  /** stored | duplicate | conflict | rejected | captured */
  outcome: string;
  reason: string | null;
  /** JSON of the answer body we sent. */
  response: string | null;
  durationMs: number | null;
  eventId: string | null;
  /** webhook | replay | import | bin */
  source: string;
  binId: string | null;
}

/** What a list row needs: no headers and no body, so a page of 500 stays cheap. */
export type SummaryRow = Pick<
  RawRequestRow,
  | 'id'
  | 'receivedAt'
  | 'method'
  | 'path'
  | 'query'
  | 'status'
  | 'outcome'
  | 'reason'
  | 'bodySize'
  | 'durationMs'
  | 'eventId'
  | 'source'
  | 'binId'
  | 'contentType'
> & {
  /** The type of the event the request created or repeated. */
  eventType?: string | null;
  /** Top-level `type`, `userId` and `productId` of the body as it arrived (rejected requests and bin captures have no event). */
  bodyType?: unknown;
  bodyUserId?: unknown;
  bodyProductId?: unknown;
};

const body = sql`body`;
const SUMMARY_COLUMNS = sql`${sql.raw(`id, received_at AS "receivedAt", method, path, query, status, outcome, reason, body_size AS "bodySize",
  duration_ms AS "durationMs", event_id AS "eventId", source, bin_id AS "binId", content_type AS "contentType",
  (SELECT type FROM events WHERE events.id = raw_requests.event_id) AS "eventType"`)},
  ${fn.bodyField(body, 'type')} AS "bodyType", ${fn.bodyField(body, 'userId')} AS "bodyUserId", ${fn.bodyField(body, 'productId')} AS "bodyProductId"`;

/** Every column of a raw_requests row, named as RawRequestRow names them. */
export const RAW_REQUEST_COLUMNS = sql.raw(`id, received_at AS "receivedAt", method, path, query, headers, body, body_size AS "bodySize",
  body_sha256 AS "bodySha256", content_type AS "contentType", remote_addr AS "remoteAddr", request_id AS "requestId", key_fingerprint AS "keyFingerprint", status,
  outcome, reason, response, duration_ms AS "durationMs", event_id AS "eventId", source, bin_id AS "binId"`);

export interface Page<T> {
  rows: T[];
  nextCursor: string | null;
}

export async function listRequests(db: Queryable, filter: RequestFilter, cursor: string | undefined, limit: number): Promise<Page<SummaryRow>> {
  return paged(await db.all<SummaryRow>(newestFirst(SUMMARY_COLUMNS, filter, cursor, limit)), limit);
}

/** Full rows for an export, page by page (the caller streams them). */
export async function exportPage(db: Queryable, filter: RequestFilter, cursor: string | undefined, limit: number): Promise<Page<RawRequestRow>> {
  return paged(await db.all<RawRequestRow>(newestFirst(RAW_REQUEST_COLUMNS, filter, cursor, limit)), limit);
}

/** Newest first, one row more than asked (paged() reads it as "another page exists"). */
function newestFirst(columns: Sql, filter: RequestFilter, cursor: string | undefined, limit: number) {
  return sql`SELECT ${columns} FROM raw_requests WHERE ${pageConditions(filter, cursor)} ORDER BY id DESC LIMIT ${limit + 1}`;
}

/** Oldest first after a given id: what a reconnecting stream missed. */
export function requestsAfter(db: Queryable, filter: RequestFilter, lastId: string, limit: number): Promise<SummaryRow[]> {
  return db.all<SummaryRow>(sql`SELECT ${SUMMARY_COLUMNS} FROM raw_requests WHERE ${afterConditions(filter, lastId)} ORDER BY id ASC LIMIT ${limit}`);
}

/** One request if it matches the filter: the live stream checks each new request with the list's own SQL. */
export function matchingSummary(db: Queryable, id: string, filter: RequestFilter): Promise<SummaryRow | undefined> {
  return db.get<SummaryRow>(sql`SELECT ${SUMMARY_COLUMNS} FROM raw_requests WHERE ${sql.and([sql`id = ${id}`, ...filterConditions(filter)])}`);
}

export function getRequest(db: Queryable, id: string): Promise<RawRequestRow | undefined> {
  return db.get<RawRequestRow>(sql`SELECT ${RAW_REQUEST_COLUMNS} FROM raw_requests WHERE id = ${id}`);
}

function paged<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextCursor: more ? page[page.length - 1].id : null };
}
