import type { Queryable, Tx } from '../../storage/port';
import { sql } from '../../storage/sql';

/** One row per purchase (environment + iapLogId): what was bought and how much came back. */
export interface PurchaseRow {
  id: number;
  environment: string;
  iapLogId: number;
  eventId: string;
  userId: string;
  productId: string;
  nachoProductId: string | null;
  productType: string;
  os: string | null;
  quantity: number;
  refundedQuantity: number;
  price: number | null;
  /** The store's transaction id (iOS transactionId, Google orderId), for duplicate checks. */
  transactionId: string | null;
  purchasedAt: number | null;
  createdAt: number;
}

/** A purchase to insert: the id is generated; optional columns default as in the table. */
export type NewPurchase = Omit<PurchaseRow, 'id' | 'nachoProductId' | 'os' | 'refundedQuantity' | 'price' | 'transactionId' | 'purchasedAt'> &
  Partial<Pick<PurchaseRow, 'id' | 'nachoProductId' | 'os' | 'refundedQuantity' | 'price' | 'transactionId' | 'purchasedAt'>>;

/** Every column of a purchases row, named as PurchaseRow names them. */
export const PURCHASE_COLUMNS = sql.raw(`id, environment, iap_log_id AS "iapLogId", event_id AS "eventId", user_id AS "userId",
  product_id AS "productId", nacho_product_id AS "nachoProductId", product_type AS "productType", os, quantity,
  refunded_quantity AS "refundedQuantity", price, transaction_id AS "transactionId", purchased_at AS "purchasedAt", created_at AS "createdAt"`);

export function findPurchase(db: Queryable, environment: string, iapLogId: number): Promise<PurchaseRow | undefined> {
  return db.get<PurchaseRow>(sql`SELECT ${PURCHASE_COLUMNS} FROM purchases WHERE environment = ${environment} AND iap_log_id = ${iapLogId}`);
}

/**
 * Deliberately not environment-scoped: seeing the id in the other environment is itself an anomaly.
 * Bounded: a sender that reuses one transaction id must not make every later apply read (and every
 * anomaly store) all earlier purchases, which grows quadratically.
 */
export function findPurchasesByTransactionId(db: Queryable, transactionId: string, limit = 20): Promise<PurchaseRow[]> {
  return db.all<PurchaseRow>(sql`SELECT ${PURCHASE_COLUMNS} FROM purchases WHERE transaction_id = ${transactionId} ORDER BY id LIMIT ${limit}`);
}

/** Returns false when a purchase with this environment + iapLogId already exists. */
export async function insertPurchase(tx: Tx, purchase: NewPurchase): Promise<boolean> {
  const values = sql`${purchase.environment}, ${purchase.iapLogId}, ${purchase.eventId}, ${purchase.userId}, ${purchase.productId},
    ${purchase.nachoProductId ?? null}, ${purchase.productType}, ${purchase.os ?? null}, ${purchase.quantity}, ${purchase.refundedQuantity ?? 0},
    ${purchase.price ?? null}, ${purchase.transactionId ?? null}, ${purchase.purchasedAt ?? null}, ${purchase.createdAt}`;
  const columns = sql.raw(`environment, iap_log_id, event_id, user_id, product_id, nacho_product_id, product_type, os, quantity,
    refunded_quantity, price, transaction_id, purchased_at, created_at`);
  // An explicit id (tests, imports) is written as given.
  const changed =
    purchase.id === undefined
      ? await tx.run(sql`INSERT INTO purchases (${columns}) VALUES (${values}) ON CONFLICT (environment, iap_log_id) DO NOTHING`)
      : await tx.run(sql`INSERT INTO purchases (id, ${columns}) VALUES (${purchase.id}, ${values}) ON CONFLICT (environment, iap_log_id) DO NOTHING`);
  return changed > 0;
}

/** Adds to the running total so partial refunds accumulate. */
export async function addRefundedQuantity(tx: Tx, purchaseId: number, quantity: number): Promise<void> {
  await tx.run(sql`UPDATE purchases SET refunded_quantity = refunded_quantity + ${quantity} WHERE id = ${purchaseId}`);
}
