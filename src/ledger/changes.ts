import type { ProductType } from '../nachocode';
import type { Tx } from '../storage/port';
import { summarize, type Entitlement, type Totals } from './entitlements';

// What an applied purchase, refund or consumption did to an entitlement, for the app backends
// that subscribe to entitlement.updated. The ledger records each change as it writes its entry;
// the before/after states are computed once per transaction, only when someone listens.

export type EntitlementCause = 'purchase' | 'refund' | 'consumption';

/** One ledger entry that moved an entitlement. */
export interface EntitlementChange {
  cause: EntitlementCause;
  /** The event (evt_…) that caused it; null for a consumption. */
  eventId: string | null;
  /** The app's key of a consumption; null otherwise. */
  idempotencyKey: string | null;
  environment: string;
  userId: string;
  productId: string;
  nachoProductId: string | null;
  productType: ProductType;
  /** What the entry adds to the totals. */
  delta: Totals;
}

/** A change with the entitlement before and after it, as the entitlements API reports it. */
export interface EntitlementTransition extends Omit<EntitlementChange, 'delta'> {
  /**
   * How many ledger entries the entitlement has after this change. Entries are append-only, so it
   * grows with every change: a receiver that gets two out of order keeps the higher one.
   */
  sequence: number;
  before: Entitlement;
  after: Entitlement;
}

/**
 * Runs inside the transaction of the changes (an apply, a consumption); resolves true when it
 * queued deliveries, so the caller wakes their worker after the commit.
 */
export type OnEntitlementChanges = (tx: Tx, changes: readonly EntitlementChange[], now: number) => Promise<boolean>;

const ZERO: Totals = { purchased: 0, refunded: 0, consumed: 0 };

const DELTA_OF: Record<'grant' | 'revoke' | 'consume', keyof Totals> = { grant: 'purchased', revoke: 'refunded', consume: 'consumed' };

export interface ChangedEntry {
  kind: 'grant' | 'revoke' | 'consume';
  quantity: number;
  eventId?: string | null;
  environment: string;
  userId: string;
  productId: string;
  nachoProductId?: string | null;
}

/** The change a written entry made. */
export function changeOf(entry: ChangedEntry, cause: EntitlementCause, productType: ProductType, idempotencyKey: string | null = null): EntitlementChange {
  return {
    cause,
    eventId: entry.eventId ?? null,
    idempotencyKey,
    environment: entry.environment,
    userId: entry.userId,
    productId: entry.productId,
    nachoProductId: entry.nachoProductId ?? null,
    productType,
    delta: { ...ZERO, [DELTA_OF[entry.kind]]: entry.quantity },
  };
}

/** The totals of one entitlement after a transaction's last change, and its entry count. */
export interface SubjectState {
  totals: Totals;
  entries: number;
  nachoProductId: string | null;
}

export const subjectKey = (c: Pick<EntitlementChange, 'environment' | 'userId' | 'productId'>): string =>
  JSON.stringify([c.environment, c.userId, c.productId]);

const minus = (a: Totals, b: Totals): Totals => ({
  purchased: a.purchased - b.purchased,
  refunded: a.refunded - b.refunded,
  consumed: a.consumed - b.consumed,
});

/**
 * Pure: the transitions of one entitlement's changes (in the order they were written), walking back
 * from the state after the last one. Each change is one entry, so the sequence drops by one per step.
 */
export function transitionsFrom(changes: readonly EntitlementChange[], final: SubjectState): EntitlementTransition[] {
  const out: EntitlementTransition[] = [];
  let totals = final.totals;
  let entries = final.entries;
  for (let i = changes.length - 1; i >= 0; i -= 1) {
    const { delta, ...change } = changes[i];
    const before = minus(totals, delta);
    const nachoProductId = change.nachoProductId ?? final.nachoProductId;
    out.unshift({ ...change, nachoProductId, sequence: entries, before: summarize(change.productType, before), after: summarize(change.productType, totals) });
    totals = before;
    entries -= 1;
  }
  return out;
}
