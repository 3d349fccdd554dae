import type { Tx } from '../storage/port';
import { sql } from '../storage/sql';

/**
 * Keeps a bin's newest requests whose bodies add up to at most maxBytes (the newest one always
 * stays, whatever its size), so anyone who knows a bin's URL can make it hold only so much.
 * Runs in the capture's transaction; served by the bin_id, received_at index.
 */
export function trimBinBytes(tx: Tx, binId: string, maxBytes: number): Promise<number> {
  return tx.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM (
        SELECT id,
               row_number() OVER newest AS position,
               sum(coalesce(length(body), 0)) OVER newest AS kept
        FROM raw_requests WHERE bin_id = ${binId}
        WINDOW newest AS (ORDER BY received_at DESC, id DESC)
      ) AS ranked WHERE position > 1 AND kept > ${maxBytes}
    )`);
}
