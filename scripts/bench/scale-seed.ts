import { inboundApplyPolicy } from '../../src/delivery';
import { APPLY_EVENT_JOB } from '../../src/ledger';
import { DELIVER_WEBHOOK_JOB, endpointKey, outboundExponentialPolicy } from '../../src/outbound';
import { sql, type Backend, type Sql, type Storage } from '../../src/storage';
import type { PreparedEvent, RawRequestRecord } from '../../src/receiver';

// The scale bench's rows, written in bulk (one INSERT … SELECT over a generated series per table
// and step) into the real tables, indexes in place, shaped like the rows the service writes: a
// raw request as the receiver stores it (masked headers, the body's bytes, the answer), its
// event, and a due backlog of apply jobs and deliveries. Row i of a table is the same whatever
// the step that wrote it, so growing 1k → 100k → 1M tops up rows (from, to].

/** The webhook subscriptions the seeded deliveries are for (their concurrency keys). */
export const SEED_ENDPOINTS = 4;

/** Markers in the templates, replaced per row. */
const LOG = '__LOG__';
const TXN = '__TXN__';
const USER = '__USER__';
const EVENT = '__EVENT__';

/** A stored webhook, as the receiver recorded it, with markers where rows differ. */
export interface SeedTemplate {
  raw: RawRequestRecord;
  event: PreparedEvent;
  /** The body with the markers in place of the purchase's identity. */
  body: string;
  /** The event's payload, same markers. */
  payload: string;
  /** The answer stored with the request, EVENT in place of its event id. */
  response: string;
}

/** Sentinel values in a template body, each unique in it, that become the markers. */
export const SENTINELS = { iapLogId: 987_654_321_123, transactionId: '9876543210987654', userId: 'seed-user-sentinel' } as const;

/** A template from one webhook the receiver prepared (built from a body carrying SENTINELS). */
export function seedTemplate(raw: RawRequestRecord, event: PreparedEvent, response: (eventId: string) => unknown): SeedTemplate {
  const mark = (text: string) => text.replaceAll(String(SENTINELS.iapLogId), LOG).replaceAll(SENTINELS.transactionId, TXN).replaceAll(SENTINELS.userId, USER);
  const body = mark(raw.body?.toString('utf8') ?? '');
  const payload = mark(event.payload);
  for (const marker of [LOG, TXN, USER]) {
    if (!body.includes(marker) || !payload.includes(marker)) throw new Error(`the seed template has no ${marker} marker`);
  }
  return { raw, event, body, payload, response: JSON.stringify(response(EVENT)) };
}

/** What differs in SQL between the engines for seeding (the service's own queries never need it). */
interface SeedDialect {
  /** `insert` followed by `select` over i = from + 1 … to. */
  series(from: number, to: number, insert: Sql, select: Sql): Sql;
  /** i as text, zero-padded to width digits. */
  pad(i: Sql, width: number): Sql;
  /** Text as bytes (the body column). */
  bytes(text: Sql): Sql;
  /** 64 hex digits, distinct per i (a SHA-256's shape). */
  hex64(i: Sql): Sql;
}

const DIALECTS: Record<Backend, SeedDialect> = {
  sqlite: {
    series: (from, to, insert, select) =>
      sql`WITH RECURSIVE n(i) AS (SELECT CAST(${from + 1} AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < ${to}) ${insert} ${select} FROM n`,
    pad: (i, width) => sql`printf(${`%0${width}d`}, ${i})`,
    bytes: (text) => sql`CAST(${text} AS BLOB)`,
    hex64: (i) => sql`printf('%064x', ${i} * 2654435761)`,
  },
  postgres: {
    series: (from, to, insert, select) => sql`${insert} ${select} FROM generate_series(${from + 1}::bigint, ${to}::bigint) AS g(i)`,
    pad: (i, width) => sql`lpad(CAST(${i} AS TEXT), ${width}, '0')`,
    bytes: (text) => sql`convert_to(${text}, 'UTF8')`,
    hex64: (i) => sql`lpad(to_hex(${i} * 2654435761), 64, '0')`,
  },
};

const i = sql.raw('i');
/** A number typed for PostgreSQL, where a bare parameter in a SELECT list is text. */
const int = (value: number) => sql`CAST(${value} AS BIGINT)`;
/** Seeded apply jobs are due this long after base: the head's apply jobs come before them. */
const HEAD_ROOM = 1_000_000;
/** Seeded requests are a second apart, the first one this long before base. */
const SEED_SPAN_MS = 2_000_000_000;

export interface SeedClock {
  /** Rows are dated before this (ms): every seeded job is due. */
  base: number;
}

/** Ids that sort before any the service makes now (theirs start with the current time). */
const seededId = (d: SeedDialect, prefix: string, n: Sql) => sql`${`${prefix}_00`} || ${d.pad(n, 24)}`;

/** A job's payload: one field naming a seeded row, {"eventId":"evt_00…"}. */
const payloadNaming = (d: SeedDialect, field: string, prefix: string, n: Sql) => sql`${`{"${field}":"`} || ${seededId(d, prefix, n)} || ${'"}'}`;

/** One INSERT … SELECT over i = from + 1 … to, in a transaction of its own. */
async function bulkInsert(storage: Storage, from: number, to: number, into: Sql, select: (d: SeedDialect) => Sql): Promise<void> {
  if (to <= from) return;
  const d = DIALECTS[storage.backend];
  await storage.write((tx) => tx.run(d.series(from, to, into, select(d))));
}

/**
 * Raw requests and their events, rows (from, to]: accepted purchases, one per request, a second
 * apart, all before base. Odd events wait for their apply job (received), even ones are applied.
 */
export async function seedWebhooks(storage: Storage, template: SeedTemplate, from: number, to: number, clock: SeedClock): Promise<void> {
  const { raw, event } = template;
  const at = sql`(${int(clock.base - SEED_SPAN_MS)} + ${i} * 1000)`;
  const user = sql`${'seed-user-'} || CAST(${i} % 1000 AS TEXT)`;
  const fill = (d: SeedDialect, text: string) =>
    sql`replace(replace(replace(${text}, ${LOG}, CAST(100000000 + ${i} AS TEXT)), ${TXN}, ${'7'} || ${d.pad(i, 15)}), ${USER}, ${user})`;
  await bulkInsert(
    storage,
    from,
    to,
    sql`INSERT INTO raw_requests (id, received_at, method, path, query, headers, body, body_size, body_sha256, content_type, remote_addr, request_id,
      key_fingerprint, status, outcome, reason, response, duration_ms, event_id, source, dedupe_key, rejection_group)`,
    (d) => sql`SELECT ${seededId(d, 'req', i)}, ${at}, ${raw.method}, ${raw.path}, NULL, ${JSON.stringify(raw.headers)}, ${d.bytes(fill(d, template.body))},
      ${int(raw.bodySize)}, NULL, ${raw.contentType}, ${'198.51.100.'} || CAST(${i} % 250 AS TEXT), ${'seed-'} || CAST(${i} AS TEXT), ${raw.keyFingerprint},
      200, 'stored', NULL, replace(${template.response}, ${EVENT}, ${seededId(d, 'evt', i)}), 1.5, ${seededId(d, 'evt', i)}, 'webhook', NULL, NULL`,
  );
  await bulkInsert(
    storage,
    from,
    to,
    sql`INSERT INTO events (id, type, environment, dedupe_key, content_hash, payload, user_id, product_id, iap_log_id, status, raw_request_id, source,
      received_at, applied_at, updated_at)`,
    (d) => sql`SELECT ${seededId(d, 'evt', i)}, ${event.type}, ${event.environment}, ${`${event.type}:${event.environment}:`} || CAST(100000000 + ${i} AS TEXT),
      ${d.hex64(i)}, ${fill(d, template.payload)}, ${user}, ${event.productId}, 100000000 + ${i},
      CASE WHEN ${i} % 2 = 1 THEN 'received' ELSE 'applied' END, ${seededId(d, 'req', i)}, 'webhook', ${at},
      CASE WHEN ${i} % 2 = 1 THEN NULL ELSE ${at} + 40 END, ${at}`,
  );
}

/** The two kinds of the backlog, with the retry policies the service gives them. */
export const applyShape = { kind: APPLY_EVENT_JOB, policy: inboundApplyPolicy };
export const deliveryShape = { kind: DELIVER_WEBHOOK_JOB, policy: outboundExponentialPolicy };

/**
 * The due backlog, jobs (from, to]: half apply jobs (each for an odd, received event), half
 * deliveries to SEED_ENDPOINTS subscriptions in turn. A subscriber fell behind: its deliveries
 * are the oldest due jobs (before base, the older the higher i), the apply jobs come after them
 * (from base + HEAD_ROOM on). Due times are a millisecond apart, as jobs enqueued one by one;
 * every job is pending, never tried, and due.
 */
export async function seedBacklog(storage: Storage, from: number, to: number, clock: SeedClock): Promise<void> {
  const half = (n: number) => Math.floor(n / 2);
  await insertJobs(storage, half(from), half(to), {
    ...applyShape,
    runAt: sql`${int(clock.base + HEAD_ROOM)} + ${i}`,
    payload: (d) => payloadNaming(d, 'eventId', 'evt', sql`2 * ${i} - 1`),
  });
  await insertJobs(storage, from - half(from), to - half(to), {
    ...deliveryShape,
    runAt: sql`${int(clock.base)} - ${i}`,
    payload: (d) => payloadNaming(d, 'deliveryId', 'dlv', i),
    key: true,
  });
}

/**
 * Jobs at the head of the queue for the claims to work through: due before every seeded job of
 * their kind (deliveries before the whole backlog, apply jobs right after the deliveries).
 * Numbered from `start` on so successive heads never share a payload.
 */
export async function seedHead(storage: Storage, kind: 'apply' | 'delivery', start: number, count: number, clock: SeedClock): Promise<void> {
  const n = sql`${i} + 900000000`;
  await insertJobs(
    storage,
    start,
    start + count,
    kind === 'apply'
      ? // From base on: after every delivery (before base), before every seeded apply job.
        { ...applyShape, runAt: sql`${int(clock.base)} + ${i}`, payload: (d) => payloadNaming(d, 'eventId', 'evt', n) }
      : { ...deliveryShape, runAt: sql`${int(clock.base - 100_000_000)} + ${i}`, payload: (d) => payloadNaming(d, 'deliveryId', 'dlv', n), key: true },
  );
}

interface JobShape {
  kind: string;
  policy: { maxAttempts: number };
  runAt: Sql;
  payload(d: SeedDialect): Sql;
  /** A delivery: the concurrency key of one of the SEED_ENDPOINTS subscriptions. */
  key?: boolean;
}

function insertJobs(storage: Storage, from: number, to: number, shape: JobShape): Promise<void> {
  const endpoints = Array.from({ length: SEED_ENDPOINTS }, (_, n) => sql`WHEN ${n} THEN ${endpointKey(n + 1)}`);
  const key = shape.key === true ? sql`CASE ${i} % ${SEED_ENDPOINTS} ${sql.join(endpoints, sql.raw(' '))} END` : sql`NULL`;
  return bulkInsert(
    storage,
    from,
    to,
    sql`INSERT INTO jobs (kind, payload, state, attempts, max_attempts, policy, run_at, concurrency_key, created_at, updated_at)`,
    (d) => sql`SELECT ${shape.kind}, ${shape.payload(d)}, 'pending', 0, ${int(shape.policy.maxAttempts)}, ${JSON.stringify(shape.policy)}, ${shape.runAt},
      ${key}, ${shape.runAt}, ${shape.runAt}`,
  );
}

/**
 * What a production database has had done to it by then. PostgreSQL: autovacuum would have
 * vacuumed and analyzed tables grown this much, but may not have run yet right after a bulk
 * insert, so VACUUM (ANALYZE) runs here. SQLite: the service never runs ANALYZE, so neither does
 * the bench: the planner works without statistics, as it does in production. Its WAL is
 * checkpointed and truncated: a seeding transaction leaves one of gigabytes, where the service's
 * stays at a few megabytes, and writing into a large one already on disk is cheaper than growing it.
 */
export async function settle(storage: Storage): Promise<string> {
  if (storage.backend === 'sqlite') {
    await storage.read.get(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
    return "no ANALYZE (the service never runs it); the WAL truncated after each top-up (a bulk insert leaves one of gigabytes, the service's stays small)";
  }
  await storage.read.run(sql`VACUUM (ANALYZE) jobs, raw_requests, events`);
  return 'VACUUM (ANALYZE) after each top-up, as autovacuum would have done by then (right after a bulk insert it may not have run yet)';
}
