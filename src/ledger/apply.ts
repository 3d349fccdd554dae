import type { Db } from '../storage/sqlite/database';
import { applyPurchase } from './apply-purchase';
import { applyRefund } from './apply-refund';
import { applyUnavailableUsers } from './apply-unavailable-users';
import { parseEventPayload } from './payload';
import { findEvent } from './repository/events';
import type { ApplyResult } from './types';

/**
 * Applies one stored event to the ledger. Synchronous and meant to run inside the caller's
 * transaction (the job completion's), so the ledger writes and the job's success commit together.
 * Idempotent: an applied event is skipped, and every entry and anomaly has a unique key, so even a
 * second run after a status reset writes nothing twice.
 */
export function applyEvent(db: Db, eventId: string, now: number): ApplyResult {
  const event = findEvent(db, eventId);
  // Thrown rather than skipped: the job is enqueued with the event, so a missing row is a bug.
  if (!event) throw new Error(`event ${eventId} not found`);
  if (event.status === 'applied') return { status: 'skipped', applied: [] };
  const ctx = { db, event, now };
  const parsed = parseEventPayload(event);
  switch (parsed.type) {
    case 'purchase':
      return applyPurchase(ctx, parsed.payload);
    case 'refund':
      return applyRefund(ctx, parsed.payload);
    case 'unavailable_users':
      return applyUnavailableUsers(ctx, parsed.payload);
  }
}
