import type { RefundPayload } from '../nachocode/schemas';
import { negativeBalance, refundAmount, refundApplicable, summarize } from './entitlements';
import { markApplied, reportAnomaly, type ApplyContext } from './apply-context';
import { addEntry, entryExists, productTotals } from './repository/entries';
import { setEventStatus } from './repository/events';
import { addRefundedQuantity, findPurchase, type PurchaseRow } from './repository/purchases';
import { asProductType } from './payload';
import type { ApplyResult } from './types';

export const revokeKey = (eventId: string): string => `${eventId}:revoke`;

/**
 * Revokes what the refund asks for, up to what remains of its purchase. Without the purchase the
 * refund is held (the job still succeeds) and the purchase's apply releases it later.
 */
export function applyRefund(ctx: ApplyContext, refund: RefundPayload): ApplyResult {
  const purchase = findPurchase(ctx.db, refund.environment, refund.iapLogId);
  if (!purchase) {
    setEventStatus(ctx.db, ctx.event.id, { status: 'held', now: ctx.now });
    return { status: 'held', applied: [] };
  }
  // An existing revoke means this event was applied before its status was reset (a replay):
  // recomputing against the already-reduced purchase would invent an over-refund.
  if (!entryExists(ctx.db, revokeKey(ctx.event.id))) revoke(ctx, refund, purchase);
  return markApplied(ctx);
}

function revoke(ctx: ApplyContext, refund: RefundPayload, purchase: PurchaseRow): void {
  checkRefundMatchesPurchase(ctx, refund, purchase);
  const split = refundApplicable(purchase.quantity, purchase.refundedQuantity, refund.refundQuantity);
  if (split.excess > 0) {
    reportAnomaly(ctx, 'over_refund', subjectOf(purchase), {
      iapLogId: purchase.iapLogId,
      purchaseEventId: purchase.eventId,
      requested: refund.refundQuantity,
      applied: split.apply,
      purchased: purchase.quantity,
      previouslyRefunded: purchase.refundedQuantity,
    });
  }
  if (split.apply === 0) return;
  // The purchase's user and product are authoritative: a mismatching refund still takes back
  // what was actually granted.
  const written = addEntry(ctx.db, {
    entryKey: revokeKey(ctx.event.id),
    eventId: ctx.event.id,
    environment: purchase.environment,
    userId: purchase.userId,
    productId: purchase.productId,
    nachoProductId: purchase.nachoProductId,
    productType: purchase.productType,
    iapLogId: purchase.iapLogId,
    kind: 'revoke',
    quantity: split.apply,
    amount: refundAmount(purchase.price, split.apply, purchase.quantity),
    createdAt: ctx.now,
  });
  if (!written) return;
  addRefundedQuantity(ctx.db, purchase.id, split.apply);
  checkBalance(ctx, purchase, split.apply);
}

function checkRefundMatchesPurchase(ctx: ApplyContext, refund: RefundPayload, purchase: PurchaseRow): void {
  if (refund.userId === purchase.userId && refund.productId === purchase.productId) return;
  reportAnomaly(ctx, 'refund_mismatch', subjectOf(purchase), {
    iapLogId: purchase.iapLogId,
    purchaseEventId: purchase.eventId,
    refund: { userId: refund.userId, productId: refund.productId },
    purchase: { userId: purchase.userId, productId: purchase.productId },
  });
}

/** A consumable refunded after being spent leaves the user owing units: worth a human look. */
function checkBalance(ctx: ApplyContext, purchase: PurchaseRow, revoked: number): void {
  const productType = asProductType(purchase.productType);
  if (productType !== 'consumable') return;
  const [totals] = productTotals(ctx.db, purchase.environment, purchase.userId, purchase.productId);
  if (!totals || !negativeBalance(productType, totals)) return;
  reportAnomaly(ctx, 'negative_balance', subjectOf(purchase), {
    iapLogId: purchase.iapLogId,
    revoked,
    purchased: totals.purchased,
    refunded: totals.refunded,
    consumed: totals.consumed,
    balance: summarize(productType, totals).balance,
  });
}

function subjectOf(purchase: PurchaseRow) {
  return { environment: purchase.environment, userId: purchase.userId, productId: purchase.productId };
}
