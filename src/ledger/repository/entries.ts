import type { Queryable, Tx } from '../../storage/port';
import { sql } from '../../storage/sql';
import type { LedgerEntry } from '../types';

/** An entry to append: the id is generated; the nullable columns may be left out. */
export type NewLedgerEntry = Omit<LedgerEntry, 'id' | 'eventId' | 'nachoProductId' | 'iapLogId' | 'amount'> &
  Partial<Pick<LedgerEntry, 'id' | 'eventId' | 'nachoProductId' | 'iapLogId' | 'amount'>>;

/** Every column of a ledger_entries row, named as LedgerEntry names them. */
export const ENTRY_COLUMNS = sql.raw(`id, entry_key AS "entryKey", event_id AS "eventId", environment, user_id AS "userId",
  product_id AS "productId", nacho_product_id AS "nachoProductId", product_type AS "productType", iap_log_id AS "iapLogId",
  kind, quantity, amount, created_at AS "createdAt"`);

const INSERT_COLUMNS = sql.raw(`entry_key, event_id, environment, user_id, product_id, nacho_product_id, product_type, iap_log_id,
  kind, quantity, amount, created_at`);

/**
 * Appends one entry; the unique entry_key turns a second attempt into a no-op. Returns whether the
 * row was written so callers apply side effects (refunded quantity) exactly once as well.
 */
export async function addEntry(tx: Tx, entry: NewLedgerEntry): Promise<boolean> {
  const values = sql`${entry.entryKey}, ${entry.eventId ?? null}, ${entry.environment}, ${entry.userId}, ${entry.productId},
    ${entry.nachoProductId ?? null}, ${entry.productType}, ${entry.iapLogId ?? null}, ${entry.kind}, ${entry.quantity},
    ${entry.amount ?? null}, ${entry.createdAt}`;
  // An explicit id (tests) is written as given.
  const changed =
    entry.id === undefined
      ? await tx.run(sql`INSERT INTO ledger_entries (${INSERT_COLUMNS}) VALUES (${values}) ON CONFLICT (entry_key) DO NOTHING`)
      : await tx.run(sql`INSERT INTO ledger_entries (id, ${INSERT_COLUMNS}) VALUES (${entry.id}, ${values}) ON CONFLICT (entry_key) DO NOTHING`);
  return changed > 0;
}

export async function entryExists(db: Queryable, entryKey: string): Promise<boolean> {
  return (await db.get(sql`SELECT id FROM ledger_entries WHERE entry_key = ${entryKey}`)) !== undefined;
}

export function findEntriesForEvent(db: Queryable, eventId: string): Promise<LedgerEntry[]> {
  return db.all<LedgerEntry>(sql`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE event_id = ${eventId} ORDER BY id`);
}

export interface ProductTotalsRow {
  productId: string;
  nachoProductId: string | null;
  productType: string;
  purchased: number;
  refunded: number;
  consumed: number;
}

const sumOf = (kind: 'grant' | 'revoke' | 'consume') => sql.raw(`coalesce(sum(case when kind = '${kind}' then quantity else 0 end), 0)`);

/** Byte order (code unit order), as SQLite's BINARY collation sorts text whatever the database's locale. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sums per product for one user in one environment, in one aggregate, sorted by product id. max()
 * picks the non-null nacho product id (consume entries written by the app may lack it). Sorted in
 * JS: PostgreSQL would order product ids by the database's collation, SQLite by their bytes.
 */
export async function productTotals(db: Queryable, environment: string, userId: string, productId?: string): Promise<ProductTotalsRow[]> {
  const where = sql.and([sql`environment = ${environment}`, sql`user_id = ${userId}`, productId === undefined ? undefined : sql`product_id = ${productId}`]);
  const rows = await db.all<ProductTotalsRow>(sql`
    SELECT product_id AS "productId", max(nacho_product_id) AS "nachoProductId", max(product_type) AS "productType",
           ${sumOf('grant')} AS purchased, ${sumOf('revoke')} AS refunded, ${sumOf('consume')} AS consumed
    FROM ledger_entries
    WHERE ${where}
    GROUP BY product_id`);
  return rows.sort((a, b) => byText(a.productId, b.productId));
}

export interface EntitlementStateRow extends Omit<ProductTotalsRow, 'productId' | 'productType'> {
  /** How many entries the entitlement has: it only grows, so it orders the entitlement's changes. */
  entries: number;
}

/** One entitlement's totals and entry count, in one aggregate over its rows. */
export async function entitlementState(db: Queryable, environment: string, userId: string, productId: string): Promise<EntitlementStateRow> {
  const row = await db.get<EntitlementStateRow>(sql`
    SELECT max(nacho_product_id) AS "nachoProductId", ${sumOf('grant')} AS purchased, ${sumOf('revoke')} AS refunded,
           ${sumOf('consume')} AS consumed, count(*) AS entries
    FROM ledger_entries
    WHERE environment = ${environment} AND user_id = ${userId} AND product_id = ${productId}`);
  return row ?? { nachoProductId: null, purchased: 0, refunded: 0, consumed: 0, entries: 0 };
}
