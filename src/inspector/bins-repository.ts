import { asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { bins, rawRequests } from '../../db/schema';
import type { Db } from '../storage/database';

export type BinRow = typeof bins.$inferSelect;
export type NewBin = typeof bins.$inferInsert;
export type CapturedRequest = typeof rawRequests.$inferInsert;

/** When a bin was last useful: its last request, or its creation if it never got one. */
const lastActivity = sql<number>`coalesce(${bins.lastRequestAt}, ${bins.createdAt})`;

export function insertBin(db: Db, bin: NewBin): void {
  db.insert(bins).values(bin).run();
}

export function getBin(db: Db, id: string): BinRow | undefined {
  return db.select().from(bins).where(eq(bins.id, id)).get();
}

export function listBins(db: Db): Array<BinRow & { requestCount: number }> {
  return db
    .select({
      id: bins.id,
      name: bins.name,
      status: bins.status,
      body: bins.body,
      contentType: bins.contentType,
      delayMs: bins.delayMs,
      maskSecrets: bins.maskSecrets,
      createdAt: bins.createdAt,
      lastRequestAt: bins.lastRequestAt,
      requestCount: sql<number>`(SELECT count(*) FROM raw_requests WHERE raw_requests.bin_id = ${bins.id})`,
    })
    .from(bins)
    .orderBy(desc(bins.createdAt))
    .all();
}

export function countBinRequests(db: Db, id: string): number {
  return db.select({ n: sql<number>`count(*)` }).from(rawRequests).where(eq(rawRequests.binId, id)).get()?.n ?? 0;
}

/** Deletes bins and everything they captured; returns how many rows went (bins and requests). */
export function deleteBins(db: Db, ids: string[]): number {
  if (ids.length === 0) return 0;
  const requests = db.delete(rawRequests).where(inArray(rawRequests.binId, ids)).run().changes;
  return requests + db.delete(bins).where(inArray(bins.id, ids)).run().changes;
}

/** The least recently active bins beyond `keep`: the ones to evict before a new bin is added. */
export function binsBeyond(db: Db, keep: number): string[] {
  // LIMIT -1 (no limit) with an OFFSET, which drizzle's builder cannot express.
  return db
    .all<{ id: string }>(sql`SELECT ${bins.id} AS id FROM ${bins} ORDER BY ${lastActivity} DESC, ${bins.id} DESC LIMIT -1 OFFSET ${keep}`)
    .map((b) => b.id);
}

export function binsIdleSince(db: Db, cutoff: number): string[] {
  return db
    .select({ id: bins.id })
    .from(bins)
    .where(sql`${lastActivity} < ${cutoff}`)
    .orderBy(asc(bins.id))
    .all()
    .map((b) => b.id);
}

/** Stores one captured request and notes the bin's activity. */
export function insertCapture(db: Db, request: CapturedRequest & { binId: string }): void {
  db.insert(rawRequests).values(request).run();
  db.update(bins).set({ lastRequestAt: request.receivedAt }).where(eq(bins.id, request.binId)).run();
}

/** Keeps a bin's newest `max` requests (served by the bin_id, received_at index). */
export function trimBin(db: Db, binId: string, max: number): number {
  return db.run(sql`
    DELETE FROM raw_requests WHERE id IN (
      SELECT id FROM raw_requests WHERE bin_id = ${binId} ORDER BY received_at DESC, id DESC LIMIT -1 OFFSET ${max}
    )`).changes;
}
