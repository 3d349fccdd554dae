import { storeTransactionId, type PurchasePayload } from '../nachocode';
import { transactionConflicts } from './entitlements';
import { markApplied, reportAnomaly, type ApplyContext } from './apply-context';
import { applyRefund } from './apply-refund';
import { parseEventPayload, toMillis } from './payload';
import { changeOf } from './changes';
import { addEntry } from './repository/entries';
import { findHeldRefunds, setEventStatus, type EventRow } from './repository/events';
import { findPurchase, findPurchasesByTransactionId, insertPurchase, type PurchaseRow } from './repository/purchases';
import type { StepResult } from './types';
import { holdForValues, resolveValues, type Resolved } from './values';

export const grantKey = (eventId: string): string => `${eventId}:grant`;

/** Records the purchase, grants its quantity, then releases any refunds that arrived first. */
export async function applyPurchase(ctx: ApplyContext, purchase: Resolved<PurchasePayload>): Promise<StepResult> {
  const transactionId = storeTransactionId(purchase);
  // The store transaction's lock right after the purchase's (both are taken by one statement on
  // PostgreSQL), so the purchase and the others of its transaction are read together.
  if (transactionId !== null) await ctx.tx.lock(transactionLockKey(transactionId));
  const [existing, sameTransaction] = await Promise.all([
    findPurchase(ctx.tx, purchase.environment, purchase.iapLogId),
    transactionId === null ? [] : findPurchasesByTransactionId(ctx.tx, transactionId),
  ]);
  if (existing && existing.eventId !== ctx.event.id) {
    // Another event (a replay or import under a new id) already granted this purchase; granting
    // again would double it.
    await setEventStatus(ctx.tx, ctx.event.id, { status: 'applied', now: ctx.now });
    return { status: 'skipped', applied: [] };
  }
  const grant = {
    entryKey: grantKey(ctx.event.id),
    eventId: ctx.event.id,
    environment: purchase.environment,
    userId: purchase.userId,
    productId: purchase.productId,
    nachoProductId: purchase.nachoProductId,
    productType: purchase.productType,
    iapLogId: purchase.iapLogId,
    kind: 'grant' as const,
    quantity: purchase.quantity,
    amount: purchase.price,
    createdAt: ctx.now,
  };
  // Read before the insert so the new row does not find itself.
  if (!existing && transactionId !== null) await checkTransactionId(ctx, purchase, transactionId, sameTransaction);
  // Statements that do not wait for each other's answers are sent together (one round trip on
  // PostgreSQL); they still run in the order written.
  const [, added] = await Promise.all([existing ? undefined : insertPurchaseOf(ctx, purchase, transactionId), addEntry(ctx.tx, grant)]);
  // Not written: this event's grant is already there (an apply run again after a status reset).
  if (added) ctx.changes.push(changeOf(grant, 'purchase', purchase.productType));
  const [result, held] = await Promise.all([markApplied(ctx), findHeldRefunds(ctx.tx, purchase.environment, purchase.iapLogId)]);
  for (const released of await releaseHeldRefunds(ctx, held)) result.applied.push(...released.applied);
  return result;
}

function insertPurchaseOf(ctx: ApplyContext, purchase: Resolved<PurchasePayload>, transactionId: string | null): Promise<boolean> {
  return insertPurchase(ctx.tx, {
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

/**
 * Two purchases of one store transaction under different iapLogIds hold different purchase locks;
 * applied at the same moment (two instances, or a worker's concurrent jobs on PostgreSQL) each
 * would miss the other's uncommitted row and neither would report the duplicate. Taken after the
 * purchase lock and before any balance lock, the order every apply takes them in, and before the
 * purchases of the transaction are read.
 */
const transactionLockKey = (transactionId: string): string => `ledger:transaction:${transactionId}`;

/**
 * `seen`: the purchases of the store transaction, read under its lock. The purchase is still
 * granted: nachocode verified it; the anomaly is for reconciliation.
 */
async function checkTransactionId(ctx: ApplyContext, purchase: Resolved<PurchasePayload>, transactionId: string, seen: PurchaseRow[]): Promise<void> {
  const { duplicates, otherEnvironment } = transactionConflicts(seen, purchase.environment, purchase.iapLogId);
  const subject = { environment: purchase.environment, userId: purchase.userId, productId: purchase.productId };
  const evidence = (rows: typeof seen) => rows.map((p) => ({ environment: p.environment, iapLogId: p.iapLogId, eventId: p.eventId, userId: p.userId }));
  if (duplicates.length > 0) {
    await reportAnomaly(ctx, 'duplicate_transaction_id', subject, {
      transactionId,
      iapLogId: purchase.iapLogId,
      seenUnder: evidence(duplicates),
    });
  }
  if (otherEnvironment.length > 0) {
    await reportAnomaly(ctx, 'environment_mismatch', subject, {
      transactionId,
      iapLogId: purchase.iapLogId,
      environment: purchase.environment,
      seenIn: evidence(otherEnvironment),
    });
  }
}

/**
 * Oldest refundedAt first, so an over-refund is blamed on the refund that came last. A refund held
 * for a value is released too once its values are understood (the mapping that released this
 * purchase usually covers it); otherwise it stays held for its value.
 */
async function releaseHeldRefunds(ctx: ApplyContext, heldEvents: EventRow[]): Promise<StepResult[]> {
  const held = heldEvents
    .map((event) => ({ event, parsed: parseEventPayload(event) }))
    .flatMap(({ event, parsed }) => (parsed.type === 'refund' ? [{ event, refund: parsed.payload }] : []))
    .sort((a, b) => toMillis(a.refund.refundedAt) - toMillis(b.refund.refundedAt));
  // One after another: each refund reads the purchase the previous one reduced.
  const results: StepResult[] = [];
  for (const { event, refund } of held) {
    const resolved = await resolveValues(ctx.tx, refund);
    const refundCtx = { ...ctx, event };
    results.push(resolved.ok ? await applyRefund(refundCtx, resolved.payload) : await holdForValues(refundCtx, resolved.unknown));
  }
  return results;
}
