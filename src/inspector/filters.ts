import { and, eq, gt, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { rawRequests } from '../storage/sqlite/schema';

/** Outcomes a raw request can have: the receiver's four, and `captured` for capture bins. */
export const OUTCOMES = ['stored', 'duplicate', 'conflict', 'rejected', 'captured'] as const;
export type InspectorOutcome = (typeof OUTCOMES)[number];

export interface RequestFilter {
  outcome?: InspectorOutcome[];
  reason?: string;
  /** A path prefix: `/webhooks/nachocode` matches every nachocode route. */
  path?: string;
  environment?: 'sandbox' | 'production';
  userId?: string;
  /** Free text, case-insensitive for ASCII, anywhere in the body. */
  q?: string;
  source?: 'webhook' | 'replay' | 'import' | 'bin';
  binId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
const time = z.union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/)]).transform((v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v)));
const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(z.enum(values)).min(1));

/** The filter half of every list, export and stream query. Empty strings are ignored (a cleared form field). */
export const filterShape = {
  outcome: csv(OUTCOMES).optional(),
  reason: z.string().min(1).max(64).optional(),
  path: z.string().min(1).max(512).optional(),
  environment: z.enum(['sandbox', 'production']).optional(),
  userId: z.string().min(1).max(256).optional(),
  q: z.string().min(1).max(256).optional(),
  source: z.enum(['webhook', 'replay', 'import', 'bin']).optional(),
  binId: z.string().regex(/^bin_[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a bin id').optional(),
  from: time.optional(),
  to: time.optional(),
};

export const cursorShape = {
  cursor: z.string().regex(REQUEST_ID, 'expected a request id from nextCursor').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
};

/** Query strings from a form carry `key=` for empty fields; they mean "no filter". */
export function dropEmpty(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined));
}

/** LIKE treats % and _ as wildcards; a user searching for "50%" means the characters. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// The body is stored as a blob. SQLite reads a blob given to json_* as JSONB, and any invalid JSON
// makes the whole query fail, so the body is cast to text and checked with json_valid first.
const bodyText = sql`CAST(${rawRequests.body} AS TEXT)`;
const bodyJson = sql`CASE WHEN json_valid(${bodyText}) THEN ${bodyText} END`;
const bodyField = (field: string) => sql`json_extract(${bodyJson}, ${`$.${field}`})`;
const inUserList = (list: string, userId: string) => sql`EXISTS (SELECT 1 FROM json_each(${bodyJson}, ${`$.${list}`}) WHERE value = ${userId})`;

/**
 * The filter as SQL conditions on raw_requests. Environment and user come from the body as it
 * arrived, not from the event, so rejected requests and bin captures are found too. A user id also
 * matches the lists of an unavailable-users report.
 */
export function filterConditions(filter: RequestFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.outcome !== undefined) conditions.push(inArray(rawRequests.outcome, filter.outcome));
  if (filter.reason !== undefined) conditions.push(eq(rawRequests.reason, filter.reason));
  if (filter.path !== undefined) conditions.push(sql`${rawRequests.path} LIKE ${`${escapeLike(filter.path)}%`} ESCAPE '\\'`);
  if (filter.environment !== undefined) conditions.push(sql`${bodyField('environment')} = ${filter.environment}`);
  if (filter.userId !== undefined) {
    const u = filter.userId;
    conditions.push(sql`(${bodyField('userId')} = ${u} OR ${inUserList('tokenNotFoundUserIds', u)} OR ${inUserList('tokenInvalidUserIds', u)})`);
  }
  if (filter.q !== undefined) conditions.push(sql`${bodyText} LIKE ${`%${escapeLike(filter.q)}%`} ESCAPE '\\'`);
  if (filter.source !== undefined) conditions.push(eq(rawRequests.source, filter.source));
  if (filter.binId !== undefined) conditions.push(eq(rawRequests.binId, filter.binId));
  if (filter.from !== undefined) conditions.push(gte(rawRequests.receivedAt, filter.from));
  if (filter.to !== undefined) conditions.push(lt(rawRequests.receivedAt, filter.to));
  return conditions;
}

/** Conditions for one page: newest first, ids below the cursor (ids are monotonic ULIDs). */
export function pageConditions(filter: RequestFilter, cursor?: string): SQL | undefined {
  const conditions = filterConditions(filter);
  if (cursor !== undefined) conditions.push(lt(rawRequests.id, cursor));
  return and(...conditions);
}

/** Conditions for a stream catching up after a reconnect: ids above the last one seen. */
export function afterConditions(filter: RequestFilter, lastId: string): SQL | undefined {
  return and(...filterConditions(filter), gt(rawRequests.id, lastId));
}

export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}
