import { and, eq, lt, sql } from 'drizzle-orm';
import { rawRequests } from '../../db/schema';
import type { Db } from '../storage/database';

export interface RetentionPolicy {
  maxCount: number;
  maxAgeDays: number;
}

const DAY = 24 * 3600 * 1000;

// Rejected requests that passed the key check (nachocode's, refused for their body: possibly a lost
// event) and those that did not (anyone who knows the URL) are counted apart, so a keyless flood
// can only push out other keyless requests.
const KEYED = sql`key_fingerprint IS NOT NULL`;
const KEYLESS = sql`key_fingerprint IS NULL`;

/**
 * Rejected requests (bad key, invalid body…) are kept for diagnosis and replay, but an
 * unauthenticated flood must not fill the disk: keep at most maxCount of them with a key and
 * maxCount without, and none older than maxAgeDays. Accepted requests are never pruned here: they
 * are the evidence behind the ledger.
 */
export function pruneRejected(db: Db, policy: RetentionPolicy, now: number): number {
  const byAge = db
    .delete(rawRequests)
    .where(and(eq(rawRequests.outcome, 'rejected'), lt(rawRequests.receivedAt, now - policy.maxAgeDays * DAY)))
    .run().changes;
  let byCount = 0;
  for (const kind of [KEYED, KEYLESS]) {
    byCount += db.run(sql`
      DELETE FROM raw_requests WHERE id IN (
        SELECT id FROM raw_requests WHERE outcome = 'rejected' AND ${kind} ORDER BY id DESC LIMIT -1 OFFSET ${policy.maxCount}
      )`).changes;
  }
  return byAge + byCount;
}
