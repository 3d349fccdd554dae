import { and, asc, eq, sql } from 'drizzle-orm';
import { ledgerEntries } from '../../storage/sqlite/schema';
import type { Db } from '../../storage/sqlite/database';
import { preparedPer, withDefaults } from '../../storage/sqlite/prepared';
import type { LedgerEntry } from '../types';

export type NewLedgerEntry = typeof ledgerEntries.$inferInsert;

/**
 * Appends one entry; the unique entry_key turns a second attempt into a no-op. Returns whether the
 * row was written so callers apply side effects (refunded quantity) exactly once as well.
 */
export function addEntry(db: Db, entry: NewLedgerEntry): boolean {
  // An explicit id is not a column of the prepared insert; such callers (none on the hot path) build it.
  const result =
    entry.id === undefined
      ? insertEntry(db).run(withDefaults({ eventId: null, nachoProductId: null, iapLogId: null, amount: null }, entry))
      : db.insert(ledgerEntries).values(entry).onConflictDoNothing({ target: ledgerEntries.entryKey }).run();
  return result.changes > 0;
}

const p = (name: string) => sql.placeholder(name);

// Prepared once per connection: one entry per applied event.
const insertEntry = preparedPer((db) =>
  db
    .insert(ledgerEntries)
    .values({
      entryKey: p('entryKey'),
      eventId: p('eventId'),
      environment: p('environment'),
      userId: p('userId'),
      productId: p('productId'),
      nachoProductId: p('nachoProductId'),
      productType: p('productType'),
      iapLogId: p('iapLogId'),
      kind: p('kind'),
      quantity: p('quantity'),
      amount: p('amount'),
      createdAt: p('createdAt'),
    } satisfies Record<Exclude<keyof NewLedgerEntry, 'id'>, unknown>)
    .onConflictDoNothing({ target: ledgerEntries.entryKey })
    .prepare(),
);
const entryByKey = preparedPer((db) => db.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.entryKey, p('entryKey'))).prepare());

export function entryExists(db: Db, entryKey: string): boolean {
  return entryByKey(db).get({ entryKey }) !== undefined;
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
