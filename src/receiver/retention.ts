import type { Tx } from '../storage/port';
import { fn, sql } from '../storage/sql';

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
export async function pruneRejected(tx: Tx, policy: RetentionPolicy, now: number): Promise<number> {
  const byAge = await tx.run(sql`DELETE FROM raw_requests WHERE outcome = 'rejected' AND received_at < ${now - policy.maxAgeDays * DAY}`);
  let byCount = 0;
  for (const kind of [KEYED, KEYLESS]) {
    byCount += await tx.run(sql`
      DELETE FROM raw_requests WHERE id IN (
        SELECT id FROM raw_requests WHERE outcome = 'rejected' AND ${kind} ORDER BY id DESC ${fn.offsetOnly(policy.maxCount)}
      )`);
  }
  return byAge + byCount;
}
