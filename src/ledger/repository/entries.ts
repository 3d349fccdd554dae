import { and, asc, eq, sql } from 'drizzle-orm';
import { ledgerEntries } from '../../../db/schema';
import type { Db } from '../../storage/database';
import type { LedgerEntry } from '../types';

export type NewLedgerEntry = typeof ledgerEntries.$inferInsert;

/**
 * Appends one entry; the unique entry_key turns a second attempt into a no-op. Returns whether the
 * row was written so callers apply side effects (refunded quantity) exactly once as well.
 */
export function addEntry(db: Db, entry: NewLedgerEntry): boolean {
  const result = db.insert(ledgerEntries).values(entry).onConflictDoNothing({ target: ledgerEntries.entryKey }).run();
  return result.changes > 0;
}

export function entryExists(db: Db, entryKey: string): boolean {
  return db.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.entryKey, entryKey)).get() !== undefined;
}

export function findEntriesForEvent(db: Db, eventId: string): LedgerEntry[] {
  return db
    .select()
    .from(ledgerEntries)
    .where(eq(ledgerEntries.eventId, eventId))
    .orderBy(asc(ledgerEntries.id))
    .all();
}

export interface ProductTotalsRow {
  productId: string;
  nachoProductId: string | null;
  productType: string;
  purchased: number;
  refunded: number;
  consumed: number;
}

const sumOf = (kind: string) =>
  sql<number>`coalesce(sum(case when ${ledgerEntries.kind} = ${kind} then ${ledgerEntries.quantity} else 0 end), 0)`.mapWith(
    Number,
  );

/**
 * Sums per product for one user in one environment, in one aggregate. max() picks the non-null
 * nacho product id (consume entries written by the app may lack it).
 */
export function productTotals(db: Db, environment: string, userId: string, productId?: string): ProductTotalsRow[] {
  return db
    .select({
      productId: ledgerEntries.productId,
      nachoProductId: sql<string | null>`max(${ledgerEntries.nachoProductId})`,
      productType: sql<string>`max(${ledgerEntries.productType})`,
      purchased: sumOf('grant'),
      refunded: sumOf('revoke'),
      consumed: sumOf('consume'),
    })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.environment, environment),
        eq(ledgerEntries.userId, userId),
        productId === undefined ? undefined : eq(ledgerEntries.productId, productId),
      ),
    )
    .groupBy(ledgerEntries.productId)
    .orderBy(asc(ledgerEntries.productId))
    .all();
}
