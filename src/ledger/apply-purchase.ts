import { storeTransactionId, type PurchasePayload } from '../nachocode/schemas';
import { transactionConflicts } from './entitlements';
import { markApplied, reportAnomaly, type ApplyContext } from './apply-context';
import { applyRefund } from './apply-refund';
import { parseEventPayload, toMillis } from './payload';
import { addEntry } from './repository/entries';
import { findHeldRefunds, setEventStatus } from './repository/events';
import { findPurchase, findPurchasesByTransactionId, insertPurchase } from './repository/purchases';
import type { ApplyResult } from './types';

export const grantKey = (eventId: string): string => `${eventId}:grant`;

/** Records the purchase, grants its quantity, then releases any refunds that arrived first. */
export function applyPurchase(ctx: ApplyContext, purchase: PurchasePayload): ApplyResult {
  const existing = findPurchase(ctx.db, purchase.environment, purchase.iapLogId);
  if (existing && existing.eventId !== ctx.event.id) {
    // Another event (a replay or import under a new id) already granted this purchase; granting
    // again would double it.
    setEventStatus(ctx.db, ctx.event.id, { status: 'applied', now: ctx.now });
    return { status: 'skipped', applied: [] };
  }
  if (!existing) recordPurchase(ctx, purchase);
  addEntry(ctx.db, {
    entryKey: grantKey(ctx.event.id),
    eventId: ctx.event.id,
    environment: purchase.environment,
    userId: purchase.userId,
    productId: purchase.productId,
    nachoProductId: purchase.nachoProductId,
    productType: purchase.productType,
    iapLogId: purchase.iapLogId,
    kind: 'grant',
    quantity: purchase.quantity,
    amount: purchase.price,
    createdAt: ctx.now,
  });
  const result = markApplied(ctx);
  for (const released of releaseHeldRefunds(ctx, purchase)) result.applied.push(...released.applied);
  return result;
}

function recordPurchase(ctx: ApplyContext, purchase: PurchasePayload): void {
  const transactionId = storeTransactionId(purchase);
  // Checked before the insert so the new row does not find itself.
  if (transactionId !== null) checkTransactionId(ctx, purchase, transactionId);
  insertPurchase(ctx.db, {
    environment: purchase.environment,
    iapLogId: purchase.iapLogId,
    eventId: ctx.event.id,
    userId: purchase.userId,
    productId: purchase.productId,
    nachoProductId: purchase.nachoProductId,
    productType: purchase.productType,
    os: purchase.os,
    quantity: purchase.quantity,
    price: purchase.price,
    transactionId,
    purchasedAt: toMillis(purchase.purchasedAt),
    createdAt: ctx.now,
  });
}

/** The purchase is still granted: nachocode verified it; the anomaly is for reconciliation. */
function checkTransactionId(ctx: ApplyContext, purchase: PurchasePayload, transactionId: string): void {
  const seen = findPurchasesByTransactionId(ctx.db, transactionId);
  const { duplicates, otherEnvironment } = transactionConflicts(seen, purchase.environment, purchase.iapLogId);
  const subject = { environment: purchase.environment, userId: purchase.userId, productId: purchase.productId };
  const evidence = (rows: typeof seen) =>
    rows.map((p) => ({ environment: p.environment, iapLogId: p.iapLogId, eventId: p.eventId, userId: p.userId }));
  if (duplicates.length > 0) {
    reportAnomaly(ctx, 'duplicate_transaction_id', subject, {
      transactionId,
      iapLogId: purchase.iapLogId,
      seenUnder: evidence(duplicates),
    });
  }
  if (otherEnvironment.length > 0) {
    reportAnomaly(ctx, 'environment_mismatch', subject, {
      transactionId,
      iapLogId: purchase.iapLogId,
      environment: purchase.environment,
      seenIn: evidence(otherEnvironment),
    });
  }
}

/** Oldest refundedAt first, so an over-refund is blamed on the refund that came last. */
function releaseHeldRefunds(ctx: ApplyContext, purchase: PurchasePayload): ApplyResult[] {
  const held = findHeldRefunds(ctx.db, purchase.environment, purchase.iapLogId)
    .map((event) => ({ event, parsed: parseEventPayload(event) }))
    .flatMap(({ event, parsed }) => (parsed.type === 'refund' ? [{ event, refund: parsed.payload }] : []))
    .sort((a, b) => toMillis(a.refund.refundedAt) - toMillis(b.refund.refundedAt));
  return held.map(({ event, refund }) => applyRefund({ ...ctx, event }, refund));
}
