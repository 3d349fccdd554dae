import { assertKey, sql, type Portable, type Renderer, type Sql } from '../sql';
import type { ClaimQuery, ClaimSql } from '../port';
import { liveLeases, pendingKeys, UNKEYED_ORDER } from '../claim-keys';

/** SQLite's rendering of the portable SQL: `?` placeholders, JSON through json_extract/json_each. */
export const sqliteRenderer: Renderer = {
  placeholder: () => '?',
  // better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans are stored as 0/1.
  param: (value) => (value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value),
  portable: (node) => render(node),
};

// The body is stored as a blob. SQLite reads a blob given to json_* as JSONB, and invalid JSON makes
// the whole query fail, so the body is cast to text and checked with json_valid first.
const bodyJson = (expr: Sql) => sql`CASE WHEN json_valid(CAST(${expr} AS TEXT)) THEN CAST(${expr} AS TEXT) END`;

function render(node: Portable): Sql {
  const [a, b, c] = node.args;
  switch (node.name) {
    case 'inList':
      // One parameter whatever the list's length, so one prepared statement serves every list.
      return sql`${a} IN (SELECT value FROM json_each(${JSON.stringify(b)}))`;
    case 'jsonText':
    case 'jsonNumber':
      return sql`json_extract(${a}, ${`$.${assertKey(b as string)}`})`;
    case 'isoToMs':
      return sql`CAST(ROUND(unixepoch(${a}, 'subsec') * 1000) AS INTEGER)`;
    case 'utcDay':
      return sql`strftime('%Y-%m-%d', (${a}) / 1000, 'unixepoch')`;
    case 'lastInsertId':
      return sql`last_insert_rowid()`;
    case 'offsetOnly':
      return sql`LIMIT -1 OFFSET ${a}`;
    case 'bodyText':
      // Registered by the connection (database.ts): NULL for bytes that are not UTF-8.
      return sql`iaphook_try_text(${a})`;
    case 'bodyField':
      return sql`json_extract(${bodyJson(a as Sql)}, ${`$.${assertKey(b as string)}`})`;
    case 'bodyArrayHas':
      return sql`EXISTS (SELECT 1 FROM json_each(${bodyJson(a as Sql)}, ${`$.${assertKey(b as string)}`}) WHERE value = ${c})`;
    case 'likeInsensitive':
      // SQLite's LIKE already ignores ASCII case.
      return sql`${a} LIKE ${b} ESCAPE '\\'`;
  }
}

/** What a claim writes: the lease (who, until when) and one more attempt. */
const lease = (q: ClaimQuery) =>
  sql`state = 'running', locked_by = ${q.workerId}, locked_until = ${q.now + q.leaseMs}, attempts = attempts + 1, updated_at = ${q.now}`;

// One kind (every worker of the service claims one) is an equality, so the pending jobs' (kind, run_at) and
// (concurrency_key, kind, run_at) indexes give its due jobs in order and a claim stops early.
const kindsFilter = (q: ClaimQuery) =>
  q.kinds === null ? sql`` : q.kinds.length === 1 ? sql`AND kind = ${q.kinds[0]}` : sql`AND kind IN (SELECT value FROM json_each(${JSON.stringify(q.kinds)}))`;

/** Due pending jobs and running jobs whose lease expired, each branch ordered and limited on its own index. */
const claimable = (q: ClaimQuery) => sql`SELECT id, run_at FROM (
    SELECT id, run_at FROM jobs WHERE state = 'pending' AND run_at <= ${q.now} ${kindsFilter(q)} ORDER BY run_at, id LIMIT ${q.limit})
  UNION ALL
  SELECT id, run_at FROM (
    SELECT id, run_at FROM jobs WHERE state = 'running' AND locked_until <= ${q.now} ${kindsFilter(q)} ORDER BY run_at, id LIMIT ${q.limit})`;

/**
 * SQLite runs one write transaction at a time, so a claim needs no row locks: one
 * UPDATE … WHERE id IN (SELECT …) cannot hand a job to two claimers, and the expired-lease branch
 * (running with locked_until in the past, how a crashed process's jobs come back) needs no reaper.
 */
export const sqliteClaims: ClaimSql = {
  // Two branches, not one OR: an OR of the two states made SQLite read and sort the whole table.
  claim: (q) => sql`UPDATE jobs SET ${lease(q)}
    WHERE id IN (SELECT id FROM (${claimable(q)}) ORDER BY run_at, id LIMIT ${q.limit})
    RETURNING *`,
  /**
   * The same single statement with a cap per concurrency key (an endpoint). It reads, for each key
   * with pending jobs that still has a free slot, its first due jobs (found by skipping from key to
   * key on the index, see pendingKeys), the first due jobs without a key, and running jobs whose
   * lease expired; numbers each key's jobs, and takes a job only while its number plus the key's
   * jobs running under a live lease stays within the cap. Reading in due order across keys instead
   * made a claim walk every due job of the saturated keys (a slow endpoint's whole backlog).
   */
  cappedClaim: (q) => {
    const perKey = Math.min(q.perKeyLimit, q.limit);
    const open = sql`(concurrency_key IS NULL OR concurrency_key NOT IN (SELECT k FROM running WHERE n >= ${q.perKeyLimit}))`;
    const due = sql`SELECT j.id, j.run_at, j.concurrency_key FROM pending_keys AS p CROSS JOIN jobs AS j
        WHERE p.k IS NOT NULL AND p.k NOT IN (SELECT k FROM running WHERE n >= ${q.perKeyLimit})
          AND j.id IN (SELECT id FROM jobs WHERE state = 'pending' AND concurrency_key = p.k AND run_at <= ${q.now} ${kindsFilter(q)}
            ORDER BY run_at, id LIMIT ${perKey})
      UNION ALL
      SELECT id, run_at, concurrency_key FROM (
        SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'pending' AND concurrency_key IS NULL AND run_at <= ${q.now} ${kindsFilter(q)}
        ORDER BY ${UNKEYED_ORDER} LIMIT ${q.limit})
      UNION ALL
      SELECT id, run_at, concurrency_key FROM (
        SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'running' AND locked_until <= ${q.now} ${kindsFilter(q)} AND ${open}
        ORDER BY run_at, id LIMIT ${q.window})`;
    return sql`WITH RECURSIVE running AS (${liveLeases(q.now)}), ${pendingKeys}
      UPDATE jobs SET ${lease(q)}
      WHERE id IN (
        SELECT c.id FROM (
          SELECT id, run_at, concurrency_key, ROW_NUMBER() OVER (PARTITION BY concurrency_key ORDER BY run_at, id) AS rn
          FROM (${due})
        ) AS c
        LEFT JOIN running AS r ON r.k = c.concurrency_key
        WHERE c.concurrency_key IS NULL OR c.rn + coalesce(r.n, 0) <= ${q.perKeyLimit}
        ORDER BY c.run_at, c.id
        LIMIT ${q.limit})
      RETURNING *`;
  },
  lockCappedClaim: async () => undefined,
};
