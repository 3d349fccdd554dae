import type { Tx } from '../storage/port';
import { applyPurchase } from './apply-purchase';
import { applyRefund } from './apply-refund';
import { applyUnavailableUsers } from './apply-unavailable-users';
import { parseEventPayload } from './payload';
import { findEvent } from './repository/events';
import type { ApplyContext } from './apply-context';
import type { ApplyResult, StepResult } from './types';
import { holdForValues, resolveValues } from './values';

/**
 * A purchase and its refunds take this lock before reading the purchase: applied at the same moment
 * on two PostgreSQL instances, a refund and its purchase could otherwise each miss the other (the
 * refund held, the purchase releasing nothing) and the refund would stay held forever.
 */
export const purchaseLockKey = (environment: string, iapLogId: number): string => `ledger:purchase:${environment}:${iapLogId}`;

/**
 * Applies one stored event to the ledger, inside the caller's transaction (the job completion's),
 * so the ledger writes and the job's success commit together. Idempotent: an applied event is
 * skipped, and every entry and anomaly has a unique key, so even a second run after a status reset
 * writes nothing twice.
 */
export async function applyEvent(tx: Tx, eventId: string, now: number): Promise<ApplyResult> {
  const event = await findEvent(tx, eventId);
  // Thrown rather than skipped: the job is enqueued with the event, so a missing row is a bug.
  if (!event) throw new Error(`event ${eventId} not found`);
  if (event.status === 'applied') return { status: 'skipped', applied: [], changes: [] };
  const ctx: ApplyContext = { tx, event, now, changes: [] };
  return { ...(await applyStep(ctx)), changes: ctx.changes };
}

async function applyStep(ctx: ApplyContext): Promise<StepResult> {
  const parsed = parseEventPayload(ctx.event);
  const { tx } = ctx;
  switch (parsed.type) {
    case 'purchase': {
      await tx.lock(purchaseLockKey(parsed.payload.environment, parsed.payload.iapLogId));
      // A value the ledger does not know holds the event before anything is written: applied
      // later, once a mapping or an upgrade says what it means.
      const resolved = await resolveValues(tx, parsed.payload);
      return resolved.ok ? applyPurchase(ctx, resolved.payload) : holdForValues(ctx, resolved.unknown);
    }
    case 'refund': {
      await tx.lock(purchaseLockKey(parsed.payload.environment, parsed.payload.iapLogId));
      const resolved = await resolveValues(tx, parsed.payload);
      return resolved.ok ? applyRefund(ctx, resolved.payload) : holdForValues(ctx, resolved.unknown);
    }
    case 'unavailable_users':
      return applyUnavailableUsers(ctx, parsed.payload);
  }
}
