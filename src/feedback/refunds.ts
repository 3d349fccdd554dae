import { eq } from 'drizzle-orm';
import { events, ledgerEntries } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
import { createFeedback, type ChangeContext } from './changes';
import { feedbackBySource } from './issue-repository';
import { channelByName, insertChannel, projectsRecordingRefunds, type ChannelRow } from './repository';

export const REFUNDS_CHANNEL = 'Refunds';

export interface RefundFacts {
  eventId: string;
  environment: string | null;
  userId: string | null;
  productId: string | null;
  iapLogId: number | null;
  /** What nachocode said was refunded. */
  requested: number | null;
  /** What the ledger revoked (less when the refund exceeded what remained); null when nothing. */
  revoked: number | null;
  refundedAt: string | null;
}

/** A refund event and what the ledger did with it; null for any other event. */
export function refundFacts(db: Db, eventId: string): RefundFacts | null {
  const event = db.select().from(events).where(eq(events.id, eventId)).get();
  if (!event || event.type !== 'refund') return null;
  const payload = JSON.parse(event.payload) as Record<string, unknown>;
  const revoke = db.select({ quantity: ledgerEntries.quantity }).from(ledgerEntries).where(eq(ledgerEntries.entryKey, `${eventId}:revoke`)).get();
  return {
    eventId,
    environment: event.environment,
    userId: event.userId,
    productId: event.productId,
    iapLogId: event.iapLogId,
    requested: typeof payload.refundQuantity === 'number' ? payload.refundQuantity : null,
    revoked: revoke?.quantity ?? null,
    refundedAt: typeof payload.refundedAt === 'string' ? payload.refundedAt : null,
  };
}

export function refundMessage(facts: RefundFacts): string {
  const quantity = facts.revoked ?? facts.requested ?? '?';
  return `Refund: ${quantity} × ${facts.productId ?? 'unknown product'} for user ${facts.userId ?? 'unknown'} (${facts.environment ?? 'unknown environment'})`;
}

export function ensureRefundsChannel(db: Db, projectId: number, now: number): ChannelRow {
  return channelByName(db, projectId, REFUNDS_CHANNEL) ?? insertChannel(db, projectId, REFUNDS_CHANNEL, now);
}

/**
 * Runs inside the ledger's apply transaction: each refund it applied becomes a feedback in the
 * "Refunds" channel of every project that records refunds, so subscribers hear of refunds through
 * FEEDBACK_CREATION. A source key per refund and project makes a replayed apply add nothing.
 */
export function recordRefunds(ctx: ChangeContext, eventIds: string[]): number {
  const refunds = eventIds.map((id) => refundFacts(ctx.db, id)).filter((f): f is RefundFacts => f !== null);
  if (refunds.length === 0) return 0;
  let recorded = 0;
  for (const project of projectsRecordingRefunds(ctx.db)) {
    const channel = ensureRefundsChannel(ctx.db, project.id, ctx.now);
    for (const facts of refunds) {
      const sourceKey = `refund:${facts.eventId}:project:${project.id}`;
      if (feedbackBySource(ctx.db, sourceKey)) continue;
      createFeedback(ctx, project.id, channel.id, {
        message: refundMessage(facts),
        userEmail: null,
        fields: {
          userId: facts.userId,
          productId: facts.productId,
          quantity: facts.revoked ?? facts.requested,
          environment: facts.environment,
          iapLogId: facts.iapLogId,
          refundedAt: facts.refundedAt,
          refundEventId: facts.eventId,
        },
        sourceKey,
        issueIds: [],
      });
      recorded += 1;
    }
  }
  return recorded;
}
