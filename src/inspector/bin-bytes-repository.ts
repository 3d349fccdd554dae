import { sql } from 'drizzle-orm';
import type { Db } from '../storage/database';

/**
 * Keeps a bin's newest requests whose bodies add up to at most maxBytes (the newest one always
 * stays, whatever its size), so anyone who knows a bin's URL can make it hold only so much.
 * Runs in the capture's transaction; served by the bin_id, received_at index.
 */
export function trimBinBytes(db: Db, binId: string, maxBytes: number): number {
  return db.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM (
        SELECT id,
               row_number() OVER newest AS position,
               sum(coalesce(length(body), 0)) OVER newest AS kept
        FROM raw_requests WHERE bin_id = ${binId}
        WINDOW newest AS (ORDER BY received_at DESC, id DESC)
      ) WHERE position > 1 AND kept > ${maxBytes}
    )`).changes;
}
