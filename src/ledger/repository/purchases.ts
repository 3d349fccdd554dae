import { and, eq, sql } from 'drizzle-orm';
import { purchases } from '../../../db/schema';
import type { Db } from '../../storage/database';

export type PurchaseRow = typeof purchases.$inferSelect;
export type NewPurchase = typeof purchases.$inferInsert;

export function findPurchase(db: Db, environment: string, iapLogId: number): PurchaseRow | undefined {
  return db
    .select()
    .from(purchases)
    .where(and(eq(purchases.environment, environment), eq(purchases.iapLogId, iapLogId)))
    .get();
}

/**
 * Deliberately not environment-scoped: seeing the id in the other environment is itself an anomaly.
 * Bounded: a sender that reuses one transaction id must not make every later apply read (and every
 * anomaly store) all earlier purchases, which grows quadratically.
 */
export function findPurchasesByTransactionId(db: Db, transactionId: string, limit = 20): PurchaseRow[] {
  return db.select().from(purchases).where(eq(purchases.transactionId, transactionId)).orderBy(purchases.id).limit(limit).all();
}

/** Returns false when a purchase with this environment + iapLogId already exists. */
export function insertPurchase(db: Db, purchase: NewPurchase): boolean {
  const result = db
    .insert(purchases)
    .values(purchase)
    .onConflictDoNothing({ target: [purchases.environment, purchases.iapLogId] })
    .run();
  return result.changes > 0;
}

/** Adds to the running total so partial refunds accumulate. */
export function addRefundedQuantity(db: Db, purchaseId: number, quantity: number): void {
  db.update(purchases)
    .set({ refundedQuantity: sql`${purchases.refundedQuantity} + ${quantity}` })
    .where(eq(purchases.id, purchaseId))
    .run();
}
