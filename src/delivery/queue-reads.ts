import { and, eq, inArray, min, sql, type SQL } from 'drizzle-orm';
import { jobs } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
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

function kindFilter(kinds?: readonly string[]): SQL | undefined {
  return kinds ? inArray(jobs.kind, [...kinds]) : undefined;
}

/** Earliest pending run_at or running locked_until (each served by its own index). */
export function wakeAt(db: Db, kinds?: readonly string[]): number | null {
  if (kinds?.length === 0) return null;
  const pending = db
    .select({ at: min(jobs.runAt) })
    .from(jobs)
    .where(and(eq(jobs.state, 'pending'), kindFilter(kinds)))
    .get();
  const running = db
    .select({ at: min(jobs.lockedUntil) })
    .from(jobs)
    .where(and(eq(jobs.state, 'running'), kindFilter(kinds)))
    .get();
  const candidates = [pending?.at, running?.at].filter((at): at is number => typeof at === 'number');
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

export function queueStats(db: Db, now: number): KindStateStats[] {
  const rows = db
    .select({
      kind: jobs.kind,
      state: jobs.state,
      count: sql<number>`count(*)`,
      oldestCreatedAt: min(jobs.createdAt),
      earliestRunAt: min(jobs.runAt),
    })
    .from(jobs)
    .groupBy(jobs.kind, jobs.state)
    .orderBy(jobs.kind, jobs.state)
    .all();
  return rows.map((row) => ({
    kind: row.kind,
    state: row.state as JobState,
    count: row.count,
    oldestAgeMs: Math.max(0, now - (row.oldestCreatedAt ?? now)),
    dueLagMs: row.state === 'pending' ? Math.max(0, now - (row.earliestRunAt ?? now)) : 0,
  }));
}
