import type { Storage } from '../storage/port';
import { sql } from '../storage/sql';
import { dedupeKeyOfBody, rejectionGroupOf, sha256 } from './rejection-identity';

interface OldRejection {
  id: string;
  path: string;
  reason: string | null;
  body: Buffer | null;
  bodySha256: string | null;
}

/**
 * Gives requests rejected before rejections were identified their event's dedupe key and group,
 * a batch at a time, so an upgraded install's report resolves and groups them too. Idempotent and
 * safe on several instances at once (each computes the same values). A body kept only in part (a
 * keyless request) is grouped by the hash of the whole one and names its event only if its first
 * bytes still parse. Resolves to how many were identified.
 */
export async function identifyOldRejections(storage: Pick<Storage, 'read' | 'write'>, batchSize = 200): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await storage.read.all<OldRejection>(sql`SELECT id, path, reason, body, body_sha256 AS "bodySha256" FROM raw_requests
      WHERE outcome = 'rejected' AND rejection_group IS NULL ORDER BY id LIMIT ${batchSize}`);
    if (rows.length === 0) return done;
    const updates = rows.map((row) => {
      const body = row.body === null ? null : Buffer.from(row.body);
      const key = dedupeKeyOfBody(body);
      return { id: row.id, key, group: rejectionGroupOf(row.path, row.reason, key, row.bodySha256 ?? sha256(body ?? Buffer.alloc(0))) };
    });
    await storage.write(async (tx) => {
      for (const u of updates) {
        await tx.run(sql`UPDATE raw_requests SET dedupe_key = ${u.key}, rejection_group = ${u.group} WHERE id = ${u.id} AND rejection_group IS NULL`);
      }
    });
    done += rows.length;
  }
}
