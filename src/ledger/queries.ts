import type { Environment } from '../nachocode';
import type { Queryable } from '../storage/port';
import { summarize } from './entitlements';
import { asProductType } from './payload';
import { findAnomalies } from './repository/anomalies';
import { findEntriesForEvent, productTotals } from './repository/entries';
import type { Anomaly, AnomalyFilter, EntitlementRow, LedgerEntry } from './types';

/** What a user holds in one environment, one row per product ever granted, sorted by productId. */
export async function entitlementsFor(db: Queryable, userId: string, environment: Environment): Promise<EntitlementRow[]> {
  return (await productTotals(db, environment, userId)).map((row) => {
    const productType = asProductType(row.productType);
    return {
      productId: row.productId,
      nachoProductId: row.nachoProductId,
      productType,
      ...summarize(productType, row),
    };
  });
}

/** A ledger entry as answers show it: times in ISO-8601, like every other answer. */
export type LedgerEntryView = Omit<LedgerEntry, 'createdAt'> & { createdAt: string };

/**
 * The entries an event caused, keyed by event id: a held refund's revoke is written in its
 * purchase's transaction but still belongs to the refund event.
 */
export async function entriesForEvent(db: Queryable, eventId: string): Promise<LedgerEntryView[]> {
  return (await findEntriesForEvent(db, eventId)).map((entry) => ({ ...entry, createdAt: new Date(entry.createdAt).toISOString() }));
}

export function anomaliesFor(db: Queryable, filter: AnomalyFilter = {}): Promise<Anomaly[]> {
  return findAnomalies(db, filter);
}
