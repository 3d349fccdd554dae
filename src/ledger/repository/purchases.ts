import { and, eq, sql } from 'drizzle-orm';
import { purchases } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';
import { preparedPer, withDefaults } from '../../storage/sqlite/prepared';

export type PurchaseRow = typeof purchases.$inferSelect;
export type NewPurchase = typeof purchases.$inferInsert;

const p = (name: string) => sql.placeholder(name);

// Prepared once per connection: these run for every applied purchase.
const byEnvAndIapLog = preparedPer((db) =>
  db.select().from(purchases).where(and(eq(purchases.environment, p('environment')), eq(purchases.iapLogId, p('iapLogId')))).prepare(),
);
const byTransactionId = preparedPer((db) =>
  db.select().from(purchases).where(eq(purchases.transactionId, p('transactionId'))).orderBy(purchases.id).limit(p('limit')).prepare(),
);
const insertOne = preparedPer((db) =>
  db
    .insert(purchases)
    .values({
      environment: p('environment'),
      iapLogId: p('iapLogId'),
      eventId: p('eventId'),
      userId: p('userId'),
      productId: p('productId'),
      nachoProductId: p('nachoProductId'),
      productType: p('productType'),
      os: p('os'),
      quantity: p('quantity'),
      refundedQuantity: p('refundedQuantity'),
      price: p('price'),
      transactionId: p('transactionId'),
      purchasedAt: p('purchasedAt'),
      createdAt: p('createdAt'),
    } satisfies Record<Exclude<keyof NewPurchase, 'id'>, unknown>)
    .onConflictDoNothing({ target: [purchases.environment, purchases.iapLogId] })
    .prepare(),
);

export function findPurchase(db: Db, environment: string, iapLogId: number): PurchaseRow | undefined {
  return byEnvAndIapLog(db).get({ environment, iapLogId });
}

/**
 * Deliberately not environment-scoped: seeing the id in the other environment is itself an anomaly.
 * Bounded: a sender that reuses one transaction id must not make every later apply read (and every
 * anomaly store) all earlier purchases, which grows quadratically.
 */
export function findPurchasesByTransactionId(db: Db, transactionId: string, limit = 20): PurchaseRow[] {
  return byTransactionId(db).all({ transactionId, limit });
}

/** Returns false when a purchase with this environment + iapLogId already exists. */
export function insertPurchase(db: Db, purchase: NewPurchase): boolean {
  // An explicit id is not a column of the prepared insert; such callers (none on the hot path) build it.
  const result =
    purchase.id === undefined
      ? insertOne(db).run(withDefaults({ nachoProductId: null, os: null, refundedQuantity: 0, price: null, transactionId: null, purchasedAt: null }, purchase))
      : db
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
