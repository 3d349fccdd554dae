import { and, eq, lt, sql } from 'drizzle-orm';
import { rawRequests } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';

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
export function pruneRejected(db: Db, policy: RetentionPolicy, now: number): number {
  const byAge = db
    .delete(rawRequests)
    .where(and(eq(rawRequests.outcome, 'rejected'), lt(rawRequests.receivedAt, now - policy.maxAgeDays * DAY)))
    .run().changes;
  const byCount = db.run(sql`
    DELETE FROM raw_requests WHERE outcome = 'rejected' AND id IN (
      SELECT id FROM raw_requests WHERE outcome = 'rejected' ORDER BY id DESC LIMIT -1 OFFSET ${policy.maxCount}
    )`).changes;
  return byAge + byCount;
}
