import type { RefundPayload } from '../nachocode';
import { negativeBalance, refundAmount, refundApplicable, summarize } from './entitlements';
import { markApplied, reportAnomaly, type ApplyContext } from './apply-context';
import { balanceLockKey } from './consumption';
import { changeOf } from './changes';
import { addEntry, entryExists, productTotals } from './repository/entries';
import { setEventStatus } from './repository/events';
import { addRefundedQuantity, findPurchase, type PurchaseRow } from './repository/purchases';
import { asProductType } from './payload';
import type { StepResult } from './types';
import type { Resolved } from './values';

export const revokeKey = (eventId: string): string => `${eventId}:revoke`;

/**
 * Revokes what the refund asks for, up to what remains of its purchase. Without the purchase the
 * refund is held (the job still succeeds) and the purchase's apply releases it later.
 */
export async function applyRefund(ctx: ApplyContext, refund: Resolved<RefundPayload>): Promise<StepResult> {
  const purchase = await findPurchase(ctx.tx, refund.environment, refund.iapLogId);
  if (!purchase) {
    await setEventStatus(ctx.tx, ctx.event.id, { status: 'held', now: ctx.now, heldFor: { reason: 'awaiting_purchase' } });
    return { status: 'held', applied: [] };
  }
  // An existing revoke means this event was applied before its status was reset (a replay):
  // recomputing against the already-reduced purchase would invent an over-refund.
  if (!(await entryExists(ctx.tx, revokeKey(ctx.event.id)))) await revoke(ctx, refund, purchase);
  return markApplied(ctx);
}

async function revoke(ctx: ApplyContext, refund: Resolved<RefundPayload>, purchase: PurchaseRow): Promise<void> {
  await checkRefundMatchesPurchase(ctx, refund, purchase);
  const split = refundApplicable(purchase.quantity, purchase.refundedQuantity, refund.refundQuantity);
  if (split.excess > 0) {
    await reportAnomaly(ctx, 'over_refund', subjectOf(purchase), {
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
  const entry = {
    entryKey: revokeKey(ctx.event.id),
    eventId: ctx.event.id,
    environment: purchase.environment,
    userId: purchase.userId,
    productId: purchase.productId,
    nachoProductId: purchase.nachoProductId,
    productType: purchase.productType,
    iapLogId: purchase.iapLogId,
    kind: 'revoke' as const,
    quantity: split.apply,
    amount: refundAmount(purchase.price, split.apply, purchase.quantity),
    createdAt: ctx.now,
  };
  if (!(await addEntry(ctx.tx, entry))) return;
  ctx.changes.push(changeOf(entry, 'refund', asProductType(purchase.productType)));
  await addRefundedQuantity(ctx.tx, purchase.id, split.apply);
  await checkBalance(ctx, purchase, split.apply);
}

async function checkRefundMatchesPurchase(ctx: ApplyContext, refund: Resolved<RefundPayload>, purchase: PurchaseRow): Promise<void> {
  if (refund.userId === purchase.userId && refund.productId === purchase.productId) return;
  await reportAnomaly(ctx, 'refund_mismatch', subjectOf(purchase), {
    iapLogId: purchase.iapLogId,
    purchaseEventId: purchase.eventId,
    refund: { userId: refund.userId, productId: refund.productId },
    purchase: { userId: purchase.userId, productId: purchase.productId },
  });
}

/** A consumable refunded after being spent leaves the user owing units: worth a human look. */
async function checkBalance(ctx: ApplyContext, purchase: PurchaseRow, revoked: number): Promise<void> {
  const productType = asProductType(purchase.productType);
  if (productType !== 'consumable') return;
  // Serialised with consumptions of this product (see consumeInTransaction): a unit spent on another
  // instance at the same moment is either seen here or sees this revoke, never neither.
  await ctx.tx.lock(balanceLockKey(purchase.environment, purchase.userId, purchase.productId));
  const [totals] = await productTotals(ctx.tx, purchase.environment, purchase.userId, purchase.productId);
  if (!totals || !negativeBalance(productType, totals)) return;
  await reportAnomaly(ctx, 'negative_balance', subjectOf(purchase), {
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
