import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import { deliveries, jobAttempts, rawRequests, webhooks } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
import { afterConditions, escapeLike, filterConditions, pageConditions, type RequestFilter } from './filters';

// The only inspector file (with bins-repository.ts and retention.ts) that touches drizzle.

/** What a list row needs: no headers and no body, so a page of 500 stays cheap. */
const summaryColumns = {
  id: rawRequests.id,
  receivedAt: rawRequests.receivedAt,
  method: rawRequests.method,
  path: rawRequests.path,
  query: rawRequests.query,
  status: rawRequests.status,
  outcome: rawRequests.outcome,
  reason: rawRequests.reason,
  bodySize: rawRequests.bodySize,
  durationMs: rawRequests.durationMs,
  eventId: rawRequests.eventId,
  source: rawRequests.source,
  binId: rawRequests.binId,
  contentType: rawRequests.contentType,
};

export type RawRequestRow = typeof rawRequests.$inferSelect;
export type SummaryRow = { [K in keyof typeof summaryColumns]: RawRequestRow[K] };

export interface Page<T> {
  rows: T[];
  nextCursor: string | null;
}

export function listRequests(db: Db, filter: RequestFilter, cursor: string | undefined, limit: number): Page<SummaryRow> {
  return paged(newestFirst(db.select(summaryColumns).from(rawRequests).$dynamic(), filter, cursor, limit).all(), limit);
}

/** Full rows for an export, page by page (the caller streams them). */
export function exportPage(db: Db, filter: RequestFilter, cursor: string | undefined, limit: number): Page<RawRequestRow> {
  return paged(newestFirst(db.select().from(rawRequests).$dynamic(), filter, cursor, limit).all(), limit);
}

/**
 * Newest first, one row more than asked (paged() reads it as "another page exists"). It takes the
 * select with its columns already chosen: handed a generic column object, drizzle loses the row
 * type, while a dynamic query keeps it exact at each caller.
 */
function newestFirst<Q extends SQLiteSelect>(query: Q, filter: RequestFilter, cursor: string | undefined, limit: number): Q {
  return query.where(pageConditions(filter, cursor)).orderBy(desc(rawRequests.id)).limit(limit + 1);
}

/** Oldest first after a given id: what a reconnecting stream missed. */
export function requestsAfter(db: Db, filter: RequestFilter, lastId: string, limit: number): SummaryRow[] {
  return db.select(summaryColumns).from(rawRequests).where(afterConditions(filter, lastId)).orderBy(asc(rawRequests.id)).limit(limit).all();
}

/** One request if it matches the filter: the live stream checks each new request with the list's own SQL. */
export function matchingSummary(db: Db, id: string, filter: RequestFilter): SummaryRow | undefined {
  return db
    .select(summaryColumns)
    .from(rawRequests)
    .where(and(eq(rawRequests.id, id), ...filterConditions(filter)))
    .get();
}

export function getRequest(db: Db, id: string): RawRequestRow | undefined {
  return db.select().from(rawRequests).where(eq(rawRequests.id, id)).get();
}

export interface DeliveryAttemptRow {
  deliveryId: string;
  webhookName: string;
  deliveryState: string;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  outcome: string;
  statusCode: number | null;
  latencyMs: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  responseSnippet: string | null;
}

/**
 * The attempts of our own outbound deliveries that sent a captured request. A delivery's
 * `webhook-id` header is its outbound event id (the same on every retry); when the request was
 * captured by a bin, only the subscriptions pointing at that bin are shown.
 */
export function deliveryAttempts(db: Db, messageId: string, binId: string | null): DeliveryAttemptRow[] {
  return db
    .select({
      deliveryId: deliveries.id,
      webhookName: webhooks.name,
      deliveryState: deliveries.state,
      attempt: jobAttempts.attempt,
      startedAt: jobAttempts.startedAt,
      finishedAt: jobAttempts.finishedAt,
      outcome: jobAttempts.outcome,
      statusCode: jobAttempts.statusCode,
      latencyMs: jobAttempts.latencyMs,
      errorClass: jobAttempts.errorClass,
      errorMessage: jobAttempts.errorMessage,
      responseSnippet: jobAttempts.responseSnippet,
    })
    .from(deliveries)
    .innerJoin(webhooks, eq(webhooks.id, deliveries.webhookId))
    .innerJoin(jobAttempts, eq(jobAttempts.jobId, deliveries.jobId))
    .where(
      and(
        eq(deliveries.eventId, messageId),
        binId === null ? undefined : sql`${webhooks.url} LIKE ${`%/bins/${escapeLike(binId)}%`} ESCAPE '\\'`,
      ),
    )
    .orderBy(asc(deliveries.id), asc(jobAttempts.attempt), asc(jobAttempts.id))
    .limit(100)
    .all();
}

function paged<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextCursor: more ? page[page.length - 1].id : null };
}
