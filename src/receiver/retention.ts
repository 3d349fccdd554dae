import type { Tx } from '../storage/port';
import { fn, sql } from '../storage/sql';

export interface RetentionPolicy {
  maxCount: number;
  maxAgeDays: number;
}

const DAY = 24 * 3600 * 1000;

/**
 * Rejected requests (bad key, invalid body…) are kept for diagnosis and replay, but an
 * unauthenticated flood must not fill the disk: keep at most maxCount of them and none older than
 * maxAgeDays. Accepted requests are never pruned here: they are the evidence behind the ledger.
 */
export async function pruneRejected(tx: Tx, policy: RetentionPolicy, now: number): Promise<number> {
  const byAge = await tx.run(sql`DELETE FROM raw_requests WHERE outcome = 'rejected' AND received_at < ${now - policy.maxAgeDays * DAY}`);
  const byCount = await tx.run(sql`
    DELETE FROM raw_requests WHERE outcome = 'rejected' AND id IN (
      SELECT id FROM raw_requests WHERE outcome = 'rejected' ORDER BY id DESC ${fn.offsetOnly(policy.maxCount)}
    )`);
  return byAge + byCount;
}
