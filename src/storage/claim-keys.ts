import { sql, type Sql } from './sql';

// Portable pieces of the capped claim (both dialects) and of its wake-up time (delivery/queue-reads):
// which concurrency keys hold live leases, and which have pending jobs.

/** Per concurrency key, its jobs running under a live lease at `now`: k, n. */
export const liveLeases = (now: number): Sql => sql`SELECT concurrency_key AS k, count(*) AS n FROM jobs
  WHERE state = 'running' AND locked_until > ${now} AND concurrency_key IS NOT NULL
  GROUP BY concurrency_key`;

/**
 * A recursive CTE, pending_keys(k): every concurrency key with pending jobs (then one NULL row),
 * each found by one seek on the pending jobs' (concurrency_key, …) index past the previous one, so its
 * cost follows the number of keys (endpoints), not of jobs. Goes in a WITH RECURSIVE list.
 */
export const pendingKeys: Sql = sql`pending_keys(k) AS (
    SELECT min(concurrency_key) FROM jobs WHERE state = 'pending' AND concurrency_key IS NOT NULL
    UNION ALL
    SELECT (SELECT min(concurrency_key) FROM jobs WHERE state = 'pending' AND concurrency_key > p.k) FROM pending_keys AS p WHERE p.k IS NOT NULL
  )`;

/**
 * The order of jobs without a key, for a capped claim: concurrency_key first (NULL in every row,
 * so the same order as run_at, id) is an order only the pending jobs' (concurrency_key, kind, run_at)
 * index gives. PostgreSQL otherwise walked the (kind, run_at) index, dropping every keyed
 * job of the kind on the way: it cannot know that deliveries never lack a key.
 */
export const UNKEYED_ORDER: Sql = sql`concurrency_key, run_at, id`;
