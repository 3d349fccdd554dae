import { z } from 'zod';
import { escapeLike, fn, sql, type Sql } from '../storage/sql';

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
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
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
  binId: z
    .string()
    .regex(/^bin_[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a bin id')
    .optional(),
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

/** Re-exported for the callers that took it from here; LIKE escaping lives with the SQL helpers. */
export { escapeLike };

const body = sql`body`;
const inUserList = (list: string, userId: string) => sql`${fn.bodyArrayHas(body, list, userId)}`;

/**
 * The filter as SQL conditions on raw_requests. Environment and user come from the body as it
 * arrived, not from the event, so rejected requests and bin captures are found too. A user id also
 * matches the lists of an unavailable-users report. The body is stored as bytes: the portable body
 * functions read it as JSON (null when it is not a JSON object) or as text (null when it is not UTF-8).
 */
export function filterConditions(filter: RequestFilter): Sql[] {
  const conditions: Sql[] = [];
  if (filter.outcome !== undefined) conditions.push(sql`${fn.inList(sql`outcome`, filter.outcome)}`);
  if (filter.reason !== undefined) conditions.push(sql`reason = ${filter.reason}`);
  // A case-insensitive prefix, as SQLite's LIKE always matched it.
  if (filter.path !== undefined) conditions.push(sql`${fn.likeInsensitive(sql`path`, `${escapeLike(filter.path)}%`)}`);
  if (filter.environment !== undefined) conditions.push(sql`${fn.bodyField(body, 'environment')} = ${filter.environment}`);
  if (filter.userId !== undefined) {
    const u = filter.userId;
    conditions.push(sql`${fn.bodyField(body, 'userId')} = ${u} OR ${inUserList('tokenNotFoundUserIds', u)} OR ${inUserList('tokenInvalidUserIds', u)}`);
  }
  if (filter.q !== undefined) conditions.push(sql`${fn.likeInsensitive(sql`${fn.bodyText(body)}`, `%${escapeLike(filter.q)}%`)}`);
  if (filter.source !== undefined) conditions.push(sql`source = ${filter.source}`);
  if (filter.binId !== undefined) conditions.push(sql`bin_id = ${filter.binId}`);
  if (filter.from !== undefined) conditions.push(sql`received_at >= ${filter.from}`);
  if (filter.to !== undefined) conditions.push(sql`received_at < ${filter.to}`);
  return conditions;
}

/** Conditions for one page: newest first, ids below the cursor (ids are monotonic ULIDs). */
export function pageConditions(filter: RequestFilter, cursor?: string): Sql {
  return sql.and([...filterConditions(filter), cursor === undefined ? undefined : sql`id < ${cursor}`]);
}

/** Conditions for a stream catching up after a reconnect: ids above the last one seen. */
export function afterConditions(filter: RequestFilter, lastId: string): Sql {
  return sql.and([...filterConditions(filter), sql`id > ${lastId}`]);
}

export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}
