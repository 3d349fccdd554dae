import { sql } from 'drizzle-orm';
import type { Db } from '../../storage/sqlite/database';
import type { ConsumeSums, PurchaseSums, RefundSums } from '../totals';
import type { DailyPoint } from '../types';

export interface Bounds {
  environment: string;
  from: number;
  to: number;
}

// A refund's business time is its refundedAt, kept only in the event payload. The webhook schema
// accepts exactly the ISO forms SQLite's date functions read (Z or ±HH:MM), so this is exact.
const refundedAtMs = sql.raw(`CAST(ROUND(unixepoch(json_extract(e.payload, '$.refundedAt'), 'subsec') * 1000) AS INTEGER)`);

/** Purchases by purchase time (purchasedAt), one row per product. */
export function purchaseSums(db: Db, b: Bounds): PurchaseSums[] {
  return db.all<PurchaseSums>(sql`
    SELECT product_id AS productId, max(product_type) AS productType, count(*) AS purchases,
           coalesce(sum(quantity), 0) AS unitsGranted, coalesce(sum(price), 0) AS grossPrice
    FROM purchases
    WHERE environment = ${b.environment} AND purchased_at BETWEEN ${b.from} AND ${b.to}
    GROUP BY product_id`);
}

/** Revoke entries by the refund's own time (refundedAt), not by when it was applied. */
export function refundSums(db: Db, b: Bounds): RefundSums[] {
  return db.all<RefundSums>(sql`
    SELECT le.product_id AS productId, max(le.product_type) AS productType, count(*) AS refunds,
           coalesce(sum(le.quantity), 0) AS unitsRefunded, coalesce(sum(le.amount), 0) AS refundedPrice
    FROM ledger_entries le JOIN events e ON e.id = le.event_id
    WHERE le.kind = 'revoke' AND le.environment = ${b.environment} AND ${refundedAtMs} BETWEEN ${b.from} AND ${b.to}
    GROUP BY le.product_id`);
}

/** Consumption is recorded when it happens, so its entry time is its business time. */
export function consumeSums(db: Db, b: Bounds): ConsumeSums[] {
  return db.all<ConsumeSums>(sql`
    SELECT product_id AS productId, max(product_type) AS productType, coalesce(sum(quantity), 0) AS unitsConsumed
    FROM ledger_entries
    WHERE kind = 'consume' AND environment = ${b.environment} AND created_at BETWEEN ${b.from} AND ${b.to}
    GROUP BY product_id`);
}

/** Purchases and refunds per UTC day and product, sparse (days without either are absent). */
export function dailyPoints(db: Db, b: Bounds): DailyPoint[] {
  return db.all<DailyPoint>(sql`
    SELECT day, productId, sum(purchases) AS purchases, sum(refunds) AS refunds FROM (
      SELECT strftime('%Y-%m-%d', purchased_at / 1000, 'unixepoch') AS day, product_id AS productId, 1 AS purchases, 0 AS refunds
      FROM purchases WHERE environment = ${b.environment} AND purchased_at BETWEEN ${b.from} AND ${b.to}
      UNION ALL
      SELECT strftime('%Y-%m-%d', ${refundedAtMs} / 1000, 'unixepoch'), le.product_id, 0, 1
      FROM ledger_entries le JOIN events e ON e.id = le.event_id
      WHERE le.kind = 'revoke' AND le.environment = ${b.environment} AND ${refundedAtMs} BETWEEN ${b.from} AND ${b.to}
    )
    GROUP BY day, productId
    ORDER BY day, productId`);
}
