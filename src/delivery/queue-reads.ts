import type { Queryable } from '../storage/port';
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

const kindFilter = (kinds?: readonly string[]): Sql => (kinds === undefined ? sql`` : sql`AND ${fn.inList(sql`kind`, kinds)}`);

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
 */
export async function cappedWakeAt(db: Queryable, options: { now: number; perKeyLimit: number; kinds?: readonly string[] }): Promise<number | null> {
  if (options.kinds?.length === 0) return null;
  const pending = await db.get<{ at: number | null }>(sql`SELECT min(run_at) AS at FROM jobs
    WHERE state = 'pending' ${kindFilter(options.kinds)}
      AND (concurrency_key IS NULL OR concurrency_key NOT IN (
        SELECT concurrency_key FROM jobs
        WHERE state = 'running' AND locked_until > ${options.now} AND concurrency_key IS NOT NULL
        GROUP BY concurrency_key HAVING count(*) >= ${options.perKeyLimit}))`);
  const running = await db.get<{ at: number | null }>(sql`SELECT min(locked_until) AS at FROM jobs WHERE state = 'running' ${kindFilter(options.kinds)}`);
  return earliest(pending?.at, running?.at);
}

export async function queueStats(db: Queryable, now: number): Promise<KindStateStats[]> {
  const rows = await db.all<{ kind: string; state: string; count: number; oldestCreatedAt: number | null; earliestRunAt: number | null }>(sql`
    SELECT kind, state, count(*) AS count, min(created_at) AS "oldestCreatedAt", min(run_at) AS "earliestRunAt"
    FROM jobs GROUP BY kind, state ORDER BY kind, state`);
  return rows.map((row) => ({
    kind: row.kind,
    state: row.state as JobState,
    count: row.count,
    oldestAgeMs: Math.max(0, now - (row.oldestCreatedAt ?? now)),
    dueLagMs: row.state === 'pending' ? Math.max(0, now - (row.earliestRunAt ?? now)) : 0,
  }));
}
