import { sql } from 'drizzle-orm';
import { jobs } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
import { leaseColumns } from './queue-statements';

const p = (name: string) => sql.placeholder(name);

/**
 * How many due jobs past the saturated keys the capped claim looks at, as a multiple of its limit.
 * Numbering every due job per key made each claim cost the whole backlog; a window in due order
 * bounds it, and a key that fills its slots drops out of the window for the next claim.
 */
export const CLAIM_WINDOW_FACTOR = 4;

/**
 * The claim with a cap per concurrency key (an endpoint): the same single UPDATE … WHERE id IN
 * (SELECT …) as the plain claim, so a job still cannot go to two claimers. It reads the first due
 * jobs of keys that still have a free slot (pending jobs in due order from the index, plus running
 * jobs whose lease has expired, which is how a crashed worker's slots come back), numbers each
 * key's jobs in that window, and takes a job only while its number plus the key's jobs running
 * under a live lease stays within the cap. Jobs without a key are never capped. Kinds are a JSON
 * array, or null for every kind.
 */
export function prepareCappedClaim(db: Db) {
  const now = p('now');
  const kinds = sql`(${p('kinds')} IS NULL OR kind IN (SELECT value FROM json_each(${p('kinds')})))`;
  const running = sql`SELECT concurrency_key AS k, count(*) AS n FROM jobs
      WHERE state = 'running' AND locked_until > ${now} AND concurrency_key IS NOT NULL
      GROUP BY concurrency_key`;
  const open = sql`(concurrency_key IS NULL OR concurrency_key NOT IN (SELECT k FROM (${running}) WHERE n >= ${p('perKeyLimit')}))`;
  const window = sql`${p('limit')} * ${CLAIM_WINDOW_FACTOR}`;
  // Two ordered, limited branches instead of one OR: each walks its own index and stops early.
  const due = sql`SELECT id, run_at, concurrency_key FROM (
        SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'pending' AND run_at <= ${now} AND ${kinds} AND ${open}
        ORDER BY run_at, id LIMIT ${window})
      UNION ALL
      SELECT id, run_at, concurrency_key FROM (
        SELECT id, run_at, concurrency_key FROM jobs WHERE state = 'running' AND locked_until <= ${now} AND ${kinds} AND ${open}
        ORDER BY run_at, id LIMIT ${window})`;
  const candidates = sql`SELECT c.id FROM (
      SELECT id, run_at, concurrency_key, ROW_NUMBER() OVER (PARTITION BY concurrency_key ORDER BY run_at, id) AS rn
      FROM (${due})
    ) AS c
    LEFT JOIN (${running}) AS r ON r.k = c.concurrency_key
    WHERE c.concurrency_key IS NULL OR c.rn + coalesce(r.n, 0) <= ${p('perKeyLimit')}
    ORDER BY c.run_at, c.id
    LIMIT ${p('limit')}`;
  return db
    .update(jobs)
    .set(leaseColumns())
    .where(sql`${jobs.id} IN (${candidates})`)
    .returning()
    .prepare();
}

/**
 * Earliest pending run_at among keys that still have a free slot, or running locked_until. A
 * saturated key's backlog is due but not claimable: counting it would make the worker poll every
 * few milliseconds while a slow endpoint holds its slots. A finishing job wakes the worker anyway.
 */
export function cappedWakeAt(db: Db, options: { now: number; perKeyLimit: number; kinds?: readonly string[] }): number | null {
  if (options.kinds?.length === 0) return null;
  const kinds = options.kinds ? JSON.stringify(options.kinds) : null;
  const kindFilter = sql`(${kinds} IS NULL OR kind IN (SELECT value FROM json_each(${kinds})))`;
  const pending = db.get<{ at: number | null }>(sql`SELECT min(run_at) AS at FROM jobs
    WHERE state = 'pending' AND ${kindFilter}
      AND (concurrency_key IS NULL OR concurrency_key NOT IN (
        SELECT concurrency_key FROM jobs
        WHERE state = 'running' AND locked_until > ${options.now} AND concurrency_key IS NOT NULL
        GROUP BY concurrency_key HAVING count(*) >= ${options.perKeyLimit}))`);
  const running = db.get<{ at: number | null }>(
    sql`SELECT min(locked_until) AS at FROM jobs WHERE state = 'running' AND ${kindFilter}`,
  );
  const candidates = [pending?.at, running?.at].filter((at): at is number => typeof at === 'number');
  return candidates.length > 0 ? Math.min(...candidates) : null;
}
