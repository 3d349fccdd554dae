import type { Tx } from '../storage/port';
import { sql } from '../storage/sql';
import { BINS_LOCK, binsIdleSince, deleteBins } from './bins-repository';

const DAY = 24 * 3600 * 1000;

export interface AcceptedRetention {
  maxCount: number;
  maxAgeDays: number;
}

// Accepted means the receiver took it: stored, duplicate, or conflict (the evidence of an anomaly).
// Rejected requests have their own, tighter limits (receiver/retention.ts); bin captures their bin's.
const ACCEPTED = sql.raw(`outcome IN ('stored', 'duplicate', 'conflict') AND bin_id IS NULL`);

/**
 * Deletes at most `chunk` accepted raw requests that are older than maxAgeDays or beyond the newest
 * maxCount. Accepted requests are the ledger's evidence (the event row keeps the parsed payload,
 * the raw request the exact bytes), so their limits are generous and separate. Chunked so one
 * prune never holds a write transaction long: the caller repeats while a full chunk was deleted.
 */
export async function pruneAccepted(tx: Tx, policy: AcceptedRetention, now: number, chunk: number): Promise<number> {
  const cutoff = now - policy.maxAgeDays * DAY;
  const byAge = await tx.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM raw_requests WHERE ${ACCEPTED} AND received_at < ${cutoff} LIMIT ${chunk}
    )`);
  // The newest id that falls outside the count; everything accepted at or below it goes.
  const boundary = await tx.get<{ id: string }>(sql`
    SELECT id FROM raw_requests WHERE ${ACCEPTED} ORDER BY id DESC LIMIT 1 OFFSET ${policy.maxCount}`);
  if (boundary === undefined) return byAge;
  const byCount = await tx.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM raw_requests WHERE ${ACCEPTED} AND id <= ${boundary.id} ORDER BY id LIMIT ${Math.max(0, chunk - byAge)}
    )`);
  return byAge + byCount;
}

/** Deletes bins idle for longer than maxAgeDays, with everything they captured. */
export async function pruneIdleBins(tx: Tx, maxAgeDays: number, now: number): Promise<number> {
  await tx.lock(BINS_LOCK);
  return deleteBins(tx, await binsIdleSince(tx, now - maxAgeDays * DAY));
}
