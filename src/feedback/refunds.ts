import type { Queryable, Tx } from '../storage/port';
import { sql } from '../storage/sql';
import { createFeedback, type ChangeContext } from './changes';
import { LEGACY_FIELDS, REFUND_FIELDS, sameFields } from './fields';
import { feedbackBySource } from './issue-repository';
import { ensureChannel, projectsRecordingRefunds, setChannelFields, type ChannelRow } from './repository';

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
export async function refundFacts(db: Queryable, eventId: string): Promise<RefundFacts | null> {
  const event = await db.get<{
    type: string;
    environment: string | null;
    userId: string | null;
    productId: string | null;
    iapLogId: number | null;
    payload: string;
  }>(sql`SELECT type, environment, user_id AS "userId", product_id AS "productId", iap_log_id AS "iapLogId", payload FROM events WHERE id = ${eventId}`);
  if (!event || event.type !== 'refund') return null;
  const payload = JSON.parse(event.payload) as Record<string, unknown>;
  const revoke = await db.get<{ quantity: number }>(sql`SELECT quantity FROM ledger_entries WHERE entry_key = ${`${eventId}:revoke`}`);
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

/**
 * The project's Refunds channel, declaring the fields a recorded refund carries. One made before
 * channels declared fields got message and userEmail from the migration; it is given the refund
 * fields here (what its feedback always carried), unless someone changed its fields since.
 */
export async function ensureRefundsChannel(tx: Tx, projectId: number, now: number): Promise<ChannelRow> {
  const channel = await ensureChannel(tx, projectId, REFUNDS_CHANNEL, REFUND_FIELDS, now);
  return sameFields(channel.fields, LEGACY_FIELDS) ? setChannelFields(tx, channel.id, REFUND_FIELDS, now) : channel;
}

/**
 * Runs inside the ledger's apply transaction: each refund it applied becomes a feedback in the
 * "Refunds" channel of every project that records refunds, so subscribers hear of refunds through
 * FEEDBACK_CREATION. A source key per refund and project makes a replayed apply add nothing.
 */
export async function recordRefunds(ctx: ChangeContext, eventIds: string[]): Promise<number> {
  const refunds: RefundFacts[] = [];
  for (const id of eventIds) {
    const facts = await refundFacts(ctx.tx, id);
    if (facts !== null) refunds.push(facts);
  }
  if (refunds.length === 0) return 0;
  let recorded = 0;
  for (const project of await projectsRecordingRefunds(ctx.tx)) {
    const channel = await ensureRefundsChannel(ctx.tx, project.id, ctx.now);
    for (const facts of refunds) {
      const sourceKey = `refund:${facts.eventId}:project:${project.id}`;
      // Two applies of one refund at once (a replay on another instance) must not both insert it.
      await ctx.tx.lock(`feedback:${sourceKey}`);
      if (await feedbackBySource(ctx.tx, sourceKey)) continue;
      // Written by iaphook, not checked against the channel's fields; nulls are kept, as they always were.
      await createFeedback(ctx, project.id, channel.id, {
        values: {
          message: refundMessage(facts),
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
        issueNames: [],
      });
      recorded += 1;
    }
  }
  return recorded;
}
