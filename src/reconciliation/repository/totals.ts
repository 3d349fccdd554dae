import type { Queryable } from '../../storage/port';
import { fn, sql } from '../../storage/sql';
import type { ConsumeSums, PurchaseSums, RefundSums } from '../totals';
import type { DailyPoint } from '../types';

export interface Bounds {
  environment: string;
  from: number;
  to: number;
}

// A refund's business time is its refundedAt, kept only in the event payload. The webhook schema
// accepts exactly the ISO forms both engines' date functions read (Z or ±HH:MM), so this is exact.
const refundedAtMs = sql`${fn.isoToMs(sql`${fn.jsonText(sql`e.payload`, 'refundedAt')}`)}`;

/** Byte order, as SQLite sorts text; PostgreSQL would sort product ids by the database's collation. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Purchases by purchase time (purchasedAt), one row per product. */
export function purchaseSums(db: Queryable, b: Bounds): Promise<PurchaseSums[]> {
  return db.all<PurchaseSums>(sql`
    SELECT product_id AS "productId", max(product_type) AS "productType", count(*) AS purchases,
           coalesce(sum(quantity), 0) AS "unitsGranted", coalesce(sum(price), 0) AS "grossPrice"
    FROM purchases
    WHERE environment = ${b.environment} AND purchased_at BETWEEN ${b.from} AND ${b.to}
    GROUP BY product_id`);
}

/** Revoke entries by the refund's own time (refundedAt), not by when it was applied. */
export function refundSums(db: Queryable, b: Bounds): Promise<RefundSums[]> {
  return db.all<RefundSums>(sql`
    SELECT le.product_id AS "productId", max(le.product_type) AS "productType", count(*) AS refunds,
           coalesce(sum(le.quantity), 0) AS "unitsRefunded", coalesce(sum(le.amount), 0) AS "refundedPrice"
    FROM ledger_entries le JOIN events e ON e.id = le.event_id
    WHERE le.kind = 'revoke' AND le.environment = ${b.environment} AND ${refundedAtMs} BETWEEN ${b.from} AND ${b.to}
    GROUP BY le.product_id`);
}

/** Consumption is recorded when it happens, so its entry time is its business time. */
export function consumeSums(db: Queryable, b: Bounds): Promise<ConsumeSums[]> {
  return db.all<ConsumeSums>(sql`
    SELECT product_id AS "productId", max(product_type) AS "productType", coalesce(sum(quantity), 0) AS "unitsConsumed"
    FROM ledger_entries
    WHERE kind = 'consume' AND environment = ${b.environment} AND created_at BETWEEN ${b.from} AND ${b.to}
    GROUP BY product_id`);
}

/** Purchases and refunds per UTC day and product, sparse (days without either are absent), by day then product. */
export async function dailyPoints(db: Queryable, b: Bounds): Promise<DailyPoint[]> {
  const rows = await db.all<DailyPoint>(sql`
    SELECT day, "productId", sum(purchases) AS purchases, sum(refunds) AS refunds FROM (
      SELECT ${fn.utcDay(sql`purchased_at`)} AS day, product_id AS "productId", 1 AS purchases, 0 AS refunds
      FROM purchases WHERE environment = ${b.environment} AND purchased_at BETWEEN ${b.from} AND ${b.to}
      UNION ALL
      SELECT ${fn.utcDay(refundedAtMs)}, le.product_id, 0, 1
      FROM ledger_entries le JOIN events e ON e.id = le.event_id
      WHERE le.kind = 'revoke' AND le.environment = ${b.environment} AND ${refundedAtMs} BETWEEN ${b.from} AND ${b.to}
    ) AS points
    GROUP BY day, "productId"`);
  return rows.sort((x, y) => byText(x.day, y.day) || byText(x.productId, y.productId));
}
