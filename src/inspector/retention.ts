import { sql } from 'drizzle-orm';
import type { Db } from '../storage/sqlite/database';
import { binsIdleSince, deleteBins } from './bins-repository';

const DAY = 24 * 3600 * 1000;

export interface AcceptedRetention {
  maxCount: number;
  maxAgeDays: number;
}

// Accepted means the receiver took it: stored, duplicate, or conflict (the evidence of an anomaly).
// Rejected requests have their own, tighter limits (receiver/retention.ts); bin captures their bin's.
const ACCEPTED = sql`outcome IN ('stored', 'duplicate', 'conflict') AND bin_id IS NULL`;

/**
 * Deletes at most `chunk` accepted raw requests that are older than maxAgeDays or beyond the newest
 * maxCount. Accepted requests are the ledger's evidence (the event row keeps the parsed payload,
 * the raw request the exact bytes), so their limits are generous and separate. Chunked so one
 * prune never holds the write lock long: the caller repeats while a full chunk was deleted.
 */
export function pruneAccepted(db: Db, policy: AcceptedRetention, now: number, chunk: number): number {
  const cutoff = now - policy.maxAgeDays * DAY;
  const byAge = db.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM raw_requests WHERE ${ACCEPTED} AND received_at < ${cutoff} LIMIT ${chunk}
    )`).changes;
  // The newest id that falls outside the count; everything accepted at or below it goes.
  const boundary = db.get<{ id: string } | undefined>(sql`
    SELECT id FROM raw_requests WHERE ${ACCEPTED} ORDER BY id DESC LIMIT 1 OFFSET ${policy.maxCount}`);
  if (boundary === undefined) return byAge;
  const byCount = db.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM raw_requests WHERE ${ACCEPTED} AND id <= ${boundary.id} ORDER BY id LIMIT ${Math.max(0, chunk - byAge)}
    )`).changes;
  return byAge + byCount;
}

/** Deletes bins idle for longer than maxAgeDays, with everything they captured. */
export function pruneIdleBins(db: Db, maxAgeDays: number, now: number): number {
  return deleteBins(db, binsIdleSince(db, now - maxAgeDays * DAY));
}
