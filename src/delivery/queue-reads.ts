import type { Queryable } from '../storage/port';
import { liveLeases, pendingKeys, UNKEYED_ORDER } from '../storage/claim-keys';
import { fn, sql, type Sql } from '../storage/sql';
import type { JobState } from './types';

export interface KindStateStats {
  kind: string;
  state: JobState;
  count: number;
  /** now − the oldest created_at in this group: how long the oldest job has existed. */
  oldestAgeMs: number;
  /**
   * Pending only (0 otherwise): now − the earliest run_at, floored at 0. How late the most overdue
   * job is; it grows when workers fall behind, unlike age, which also counts scheduled retry waits.
   */
  dueLagMs: number;
}

// One kind (each worker of the service claims one) is an equality, which the pending jobs' indexes
// that lead with it (or with the key) answer with one seek.
const kindFilter = (kinds?: readonly string[]): Sql =>
  kinds === undefined ? sql`` : kinds.length === 1 ? sql`AND kind = ${kinds[0]}` : sql`AND ${fn.inList(sql`kind`, kinds)}`;

const earliest = (...ats: Array<number | null | undefined>): number | null => {
  const candidates = ats.filter((at): at is number => typeof at === 'number');
  return candidates.length > 0 ? Math.min(...candidates) : null;
};

/** Earliest pending run_at or running locked_until (each served by its own index). */
export async function wakeAt(db: Queryable, kinds?: readonly string[]): Promise<number | null> {
  if (kinds?.length === 0) return null;
  const pending = await db.get<{ at: number | null }>(sql`SELECT min(run_at) AS at FROM jobs WHERE state = 'pending' ${kindFilter(kinds)}`);
  const running = await db.get<{ at: number | null }>(sql`SELECT min(locked_until) AS at FROM jobs WHERE state = 'running' ${kindFilter(kinds)}`);
  return earliest(pending?.at, running?.at);
}

/**
 * Earliest pending run_at among keys that still have a free slot, or running locked_until. A
 * saturated key's backlog is due but not claimable: counting it would make the worker poll every
 * few milliseconds while a slow endpoint holds its slots. A finishing job wakes the worker anyway.
 * Each open key's earliest job is one seek (keys found as the capped claim finds them), so a
 * saturated key's backlog is never read.
 */
export async function cappedWakeAt(db: Queryable, options: { now: number; perKeyLimit: number; kinds?: readonly string[] }): Promise<number | null> {
  if (options.kinds?.length === 0) return null;
  const kinds = kindFilter(options.kinds);
  const pending = await db.get<{ at: number | null }>(sql`WITH RECURSIVE running AS (${liveLeases(options.now)}), ${pendingKeys}
    SELECT min(at) AS at FROM (
      SELECT (SELECT run_at FROM jobs WHERE state = 'pending' AND concurrency_key IS NULL ${kinds} ORDER BY ${UNKEYED_ORDER} LIMIT 1) AS at
      UNION ALL
      SELECT (SELECT min(run_at) FROM jobs WHERE state = 'pending' AND concurrency_key = p.k ${kinds}) AS at FROM pending_keys AS p
      WHERE p.k IS NOT NULL AND p.k NOT IN (SELECT k FROM running WHERE n >= ${options.perKeyLimit})
    ) AS earliest`);
  const running = await db.get<{ at: number | null }>(sql`SELECT min(locked_until) AS at FROM jobs WHERE state = 'running' ${kinds}`);
  return earliest(pending?.at, running?.at);
}

/** The states the queue's figures report (metrics); succeeded jobs are history, not queue. */
const STATS_STATES = ['pending', 'running', 'paused', 'dead'] as const;

/**
 * Jobs by kind and state, state by state, each read through its partial index: finished jobs
 * (nearly all of the table, in no index) are never read, so a scrape costs what is queued, not
 * what was ever done. The states are literals, not parameters: a planner uses a partial index
 * only where it can see that the query's state is the index's.
 */
export const QUEUE_STATS = sql`SELECT kind, state, count, "oldestCreatedAt", "earliestRunAt" FROM (${sql.join(
  STATS_STATES.map(
    (state) => sql`SELECT kind, ${sql.raw(`'${state}'`)} AS state, count(*) AS count, min(created_at) AS "oldestCreatedAt", min(run_at) AS "earliestRunAt"
      FROM jobs WHERE state = ${sql.raw(`'${state}'`)} GROUP BY kind`,
  ),
  sql` UNION ALL `,
)}) AS by_state ORDER BY kind, state`;

/** Jobs by kind and state: counts, the oldest's age and (pending) how late the earliest is. */
export async function queueStats(db: Queryable, now: number): Promise<KindStateStats[]> {
  const rows = await db.all<{ kind: string; state: string; count: number; oldestCreatedAt: number | null; earliestRunAt: number | null }>(QUEUE_STATS);
  return rows.map((row) => ({
    kind: row.kind,
    state: row.state as JobState,
    count: row.count,
    oldestAgeMs: Math.max(0, now - (row.oldestCreatedAt ?? now)),
    dueLagMs: row.state === 'pending' ? Math.max(0, now - (row.earliestRunAt ?? now)) : 0,
  }));
}
