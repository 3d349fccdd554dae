import type { Storage } from '../storage/port';
import { sql } from '../storage/sql';

/**
 * Periodic work (retention pruning) runs once per cluster, not once per instance: the instance
 * whose timer fires first records the run in meta, and every other instance whose timer fires
 * within the interval finds it and skips. The check and the record are one transaction under a
 * lock, so two instances firing at the same moment cannot both run it. A little slack (a tenth of
 * the interval) keeps the instance that ran last from skipping its own next turn on a slow timer.
 */
export async function claimPeriodicRun(storage: Pick<Storage, 'write'>, task: string, everyMs: number, now: number, who: string): Promise<boolean> {
  const key = `periodic:${task}`;
  return storage.write(async (tx) => {
    await tx.lock(key);
    const last = await tx.get<{ at: number }>(sql`SELECT updated_at AS at FROM meta WHERE key = ${key}`);
    if (last !== undefined && now - last.at < everyMs * 0.9) return false;
    await tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES (${key}, ${who}, ${now})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
    return true;
  });
}
