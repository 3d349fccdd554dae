import type { ProductType } from '../nachocode';

// Pure entitlement arithmetic. Everything here is a function of numbers read from the ledger, so
// the rules can be tested exhaustively without a database.

export interface Totals {
  purchased: number;
  refunded: number;
  consumed: number;
}

export interface Entitlement extends Totals {
  balance: number;
  active: boolean;
}

/**
 * A non-consumable is owned while anything bought is not refunded; using it spends nothing, so
 * consumption does not count against it. A consumable's balance is what is left to spend, and may
 * go below zero when a refund arrives after the units were spent (see negativeBalance).
 */
export function summarize(productType: ProductType, totals: Totals): Entitlement {
  const { purchased, refunded, consumed } = totals;
  const balance = productType === 'consumable' ? purchased - refunded - consumed : purchased - refunded;
  return { purchased, refunded, consumed, balance, active: balance > 0 };
}

export interface RefundSplit {
  /** Units actually revoked. */
  apply: number;
  /** Units asked for beyond what remained: reported as over_refund, never revoked. */
  excess: number;
}

/** A refund can take back only what is left of its purchase; partial refunds accumulate. */
export function refundApplicable(purchased: number, alreadyRefunded: number, requested: number): RefundSplit {
  const remaining = Math.max(0, purchased - alreadyRefunded);
  const apply = Math.min(Math.max(0, requested), remaining);
  return { apply, excess: Math.max(0, requested) - apply };
}

/**
 * Money follows units pro rata: revoking 2 of 5 units returns 2/5 of the price. Multiplying before
 * dividing keeps integer prices exact whenever the result is a whole number.
 */
export function refundAmount(price: number | null, appliedQuantity: number, purchaseQuantity: number): number | null {
  if (price === null || purchaseQuantity <= 0) return null;
  return (price * appliedQuantity) / purchaseQuantity;
}

/** True when a consumable's balance went below zero: it was refunded after being spent. */
export function negativeBalance(productType: ProductType, totals: Totals): boolean {
  return productType === 'consumable' && summarize(productType, totals).balance < 0;
}

export interface TransactionSighting {
  environment: string;
  iapLogId: number;
}

export interface TransactionConflicts<T extends TransactionSighting> {
  /** Same environment, another iapLogId: the store transaction was reported twice. */
  duplicates: T[];
  /** The other environment: a sandbox receipt leaking into production, or the reverse. */
  otherEnvironment: T[];
}

/** Sorts earlier purchases carrying the same store transaction id by what they imply. */
export function transactionConflicts<T extends TransactionSighting>(seen: T[], environment: string, iapLogId: number): TransactionConflicts<T> {
  return {
    duplicates: seen.filter((p) => p.environment === environment && p.iapLogId !== iapLogId),
    otherEnvironment: seen.filter((p) => p.environment !== environment),
  };
}
