import { assertKey, sql, type Portable, type Renderer, type Sql } from '../sql';
import type { ClaimQuery, ClaimSql, Tx } from '../port';
import { liveLeases, pendingKeys, UNKEYED_ORDER } from '../claim-keys';

/** PostgreSQL's rendering of the portable SQL: `$n` placeholders, jsonb operators, arrays. */
export const pgRenderer: Renderer = {
  placeholder: (n) => `$${n}`,
  param: (value) => (value === undefined ? null : value),
  portable: (node) => render(node),
};

function render(node: Portable): Sql {
  const [a, b, c] = node.args;
  switch (node.name) {
    case 'inList':
      // One array parameter whatever the list's length.
      return sql`${a} = ANY(${[...(b as unknown[])]})`;
    case 'jsonText':
      return sql`((${a})::jsonb ->> ${assertKey(b as string)})`;
    case 'jsonNumber':
      return sql`((${a})::jsonb ->> ${assertKey(b as string)})::double precision`;
    case 'isoToMs':
      return sql`(round(extract(epoch from (${a})::timestamptz) * 1000))::bigint`;
    case 'utcDay':
      return sql`to_char(to_timestamp((${a}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
    case 'lastInsertId':
      return sql`lastval()`;
    case 'offsetOnly':
      return sql`OFFSET ${a}`;
    case 'bodyText':
      return sql`iaphook_try_text(${a})`;
    case 'bodyField':
      return sql`(iaphook_try_json(${a}) ->> ${assertKey(b as string)})`;
    case 'bodyArrayHas':
      return sql`coalesce(jsonb_exists(iaphook_try_json(${a}) -> ${assertKey(b as string)}, ${c}), false)`;
    case 'likeInsensitive':
      return sql`${a} ILIKE ${b} ESCAPE '\\'`;
  }
}

const lease = (q: ClaimQuery) =>
  sql`state = 'running', locked_by = ${q.workerId}, locked_until = ${q.now + q.leaseMs}, attempts = jobs.attempts + 1, updated_at = ${q.now}`;

// One kind (every worker of the service claims one) is an equality, so the pending jobs' (kind, run_at) and
// (concurrency_key, kind, run_at) indexes give its due jobs in order and a claim stops early;
// `= ANY` of an array would make it read and sort every due job of the kinds.
const kindsFilter = (q: ClaimQuery) => (q.kinds === null ? sql`` : q.kinds.length === 1 ? sql`AND kind = ${q.kinds[0]}` : sql`AND kind = ANY(${[...q.kinds]})`);

/**
 * Still claimable, checked again where the capped claim locks its rows: the rows were picked from
 * the statement's snapshot, and a row another transaction changed since (an uncapped claim, a late
 * completion of an expired lease, a park) is locked in its new version, with this condition
 * re-evaluated on it (READ COMMITTED). Without it such a row was leased again: a job run twice.
 */
const claimable = (q: ClaimQuery) => sql`((state = 'pending' AND run_at <= ${q.now}) OR (state = 'running' AND locked_until <= ${q.now}))`;

/** Every capped claim of the cluster takes this lock first (see lockCappedClaim). */
const CAPPED_CLAIM_LOCK = 'iaphook:capped-claim';

/**
 * Several instances claim from one table, so a claim locks the rows it takes, skipping rows
 * another claim holds (graphile-worker's getJobs, pg-boss's fetch): FOR UPDATE SKIP LOCKED in the
 * candidate select, then the lease in the same statement. Pending and expired-lease jobs are two
 * ordered, limited branches so each walks its own index and stops early, however long the backlog.
 */
export const pgClaims: ClaimSql = {
  claim: (q) => sql`WITH pending AS (
      SELECT id, run_at FROM jobs WHERE state = 'pending' AND run_at <= ${q.now} ${kindsFilter(q)}
      ORDER BY run_at, id LIMIT ${q.limit} FOR UPDATE SKIP LOCKED
    ), expired AS (
      SELECT id, run_at FROM jobs WHERE state = 'running' AND locked_until <= ${q.now} ${kindsFilter(q)}
      ORDER BY locked_until, id LIMIT ${q.limit} FOR UPDATE SKIP LOCKED
    ), picked AS (
      SELECT id FROM (SELECT id, run_at FROM pending UNION ALL SELECT id, run_at FROM expired) AS c
      ORDER BY run_at, id LIMIT ${q.limit}
    )
    UPDATE jobs SET ${lease(q)} FROM picked WHERE jobs.id = picked.id
    RETURNING jobs.*`,
  /**
   * The claim with a cap per concurrency key, for the whole cluster: claims of capped kinds run
   * one at a time (lockCappedClaim), so the count of live leases per key that this statement reads
   * cannot change under it, and two instances cannot both fill a key's last slot. It reads, for
   * each key with pending jobs that still has a free slot, its first due jobs (found by skipping
   * from key to key on the index, see pendingKeys), the first due jobs without a key, and running
   * jobs whose lease expired; numbers each key's jobs and takes them while number + live leases
   * stays within the cap (pg-boss's groupConcurrency, made strict). Reading in due order across
   * keys instead made a claim walk every due job of the saturated keys (a slow endpoint's backlog).
   */
  cappedClaim: (q) => {
    const perKey = Math.min(q.perKeyLimit, q.limit);
    const saturated = sql`SELECT k FROM running WHERE n >= ${q.perKeyLimit}`;
    const open = sql`(concurrency_key IS NULL OR concurrency_key NOT IN (${saturated}))`;
    return sql`WITH RECURSIVE running AS (${liveLeases(q.now)}), ${pendingKeys},
    due AS (
      (SELECT j.id, j.run_at, j.concurrency_key FROM pending_keys AS p CROSS JOIN LATERAL (
          SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'pending' AND concurrency_key = p.k AND run_at <= ${q.now} ${kindsFilter(q)}
          ORDER BY run_at, id LIMIT ${perKey}) AS j
        WHERE p.k IS NOT NULL AND p.k NOT IN (${saturated}))
      UNION ALL
      (SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'pending' AND concurrency_key IS NULL AND run_at <= ${q.now} ${kindsFilter(q)}
        ORDER BY ${UNKEYED_ORDER} LIMIT ${q.limit})
      UNION ALL
      (SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'running' AND locked_until <= ${q.now} ${kindsFilter(q)} AND ${open}
        ORDER BY run_at, id LIMIT ${q.window})
    ), ranked AS (
      SELECT id, run_at, concurrency_key, ROW_NUMBER() OVER (PARTITION BY concurrency_key ORDER BY run_at, id) AS rn FROM due
    ), picked AS (
      SELECT c.id FROM ranked AS c LEFT JOIN running AS r ON r.k = c.concurrency_key
      WHERE c.concurrency_key IS NULL OR c.rn + coalesce(r.n, 0) <= ${q.perKeyLimit}
      ORDER BY c.run_at, c.id LIMIT ${q.limit}
    ), locked AS (
      SELECT id FROM jobs WHERE id IN (SELECT id FROM picked) AND ${claimable(q)} FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs SET ${lease(q)} FROM locked WHERE jobs.id = locked.id
    RETURNING jobs.*`;
  },
  lockCappedClaim: (tx: Tx) => tx.lock(CAPPED_CLAIM_LOCK),
};
